"""Turn a Jupyter notebook into modules: its definitions, cell by cell, nothing else.

A notebook is graded by what it defines, exactly as the same code would be in a .py file:
imports, functions, classes, and module-level assignments such as a dispatch table
(`_FORWARD = {'tanh': tanh}`), a lambda or a constant built with numpy
(`EPS = np.finfo(float).eps`). What a cell *does* is left out: calls of the notebook's
own functions (training runs), plots, prints, loops, IPython magics, and every statement
that needs a name only such code binds (`X, y = load_moons(...)`). Imports of the
assignment's own modules are left out too: in a notebook everything already shares one
namespace.

The analysis is static and runs in the grader. Each code cell's kept statements become
a file `notebook_cell_N.py` (N counts every cell of the notebook from 1) in which every
other line is blank, so a traceback's line number is the line inside the cell; the
package's `notebook.py` (notebook_loader.py) runs them in order, one statement at a time.
"""

import ast
import builtins
import json
import symtable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_BYTES = 20 * 2 ** 20
LOADER = Path(__file__).with_name('notebook_loader.py')
# Calling anything these modules export plots, prints, sleeps, touches files or processes.
UNSAFE_MODULES = {'matplotlib', 'pylab', 'seaborn', 'IPython', 'os', 'sys', 'subprocess', 'shutil', 'time',
                  'pickle', 'socket', 'urllib', 'requests', 'threading', 'multiprocessing', 'signal',
                  'pathlib', 'tqdm', 'builtins', 'importlib', 'ctypes'}
UNSAFE_BUILTINS = {'print', 'input', 'display', 'open', 'exec', 'eval', 'breakpoint', 'exit', 'quit',
                   'get_ipython', '__import__', 'compile', 'help'}
UNSAFE_METHODS = {'save', 'savez', 'savez_compressed', 'savetxt', 'tofile', 'dump', 'write', 'writelines',
                  'show', 'savefig', 'sleep', 'system', 'to_csv'}
# Callees that store the functions they are given without calling them.
NON_CALLING = {'dict', 'list', 'tuple', 'set', 'frozenset', 'zip', 'enumerate', 'reversed', 'len',
               'vectorize', 'frompyfunc', 'partial', 'staticmethod', 'classmethod', 'property'}
MODULE_NAMES = {'__name__', '__doc__', '__file__', '__builtins__', '__spec__', '__loader__', '__package__'}
BUILTIN_NAMES = set(dir(builtins)) | MODULE_NAMES
SHOWN_CHARACTERS = 60


class NotebookError(ValueError):
    """A file that cannot be read as a notebook; the message says why, for the student."""


@dataclass(frozen=True)
class Program:
    """What a notebook submission becomes.

    - files: {file name: source}, the loader as notebook.py and one file per cell with kept code
    - notes: what the student should know about how the notebook was read
    """

    files: dict
    notes: tuple = ()


@dataclass
class Statement:
    """One top-level statement of a code cell, and what running it would do."""

    cell: int
    node: ast.stmt
    kind: str                              # 'import', 'def', 'assign' or 'other'
    binds: set = field(default_factory=set)
    loads: set = field(default_factory=set)
    calls: list = field(default_factory=list)
    lambdas: bool = False
    unsafe_import: bool = False
    star: bool = False
    dropped: str = ''                      # why it is not run ('' while kept)

    @property
    def first_line(self):
        decorators = getattr(self.node, 'decorator_list', [])
        return min([self.node.lineno] + [d.lineno for d in decorators])


def definitions(path, own_modules):
    """The notebook at `path` as a Program: its cells' definitions and the loader.

    own_modules: names of the assignment's package and modules, whose imports are left out

    Raises NotebookError for a file that is too large, not JSON, not a notebook, or
    without code cells.
    """
    path = Path(path)
    notebook = _read(path)
    cells = [(number, cell.source) for number, cell in enumerate(notebook.cells, start=1)
             if cell.cell_type == 'code']
    if not cells:
        raise NotebookError(f'{path.name} has no code cells')
    notes, statements, sources = [], [], {}
    for number, source in cells:
        parsed = _parse(number, source)
        if isinstance(parsed, str):
            notes.append(parsed)
            continue
        code, tree = parsed
        sources[number] = code
        statements += [_describe(number, node, own_modules) for node in tree.body]
    _choose(statements)
    notes += _needed_but_dropped(statements)
    files = {'notebook.py': LOADER.read_text()}
    for number, code in sources.items():
        kept = [s for s in statements if s.cell == number and not s.dropped]
        if kept:
            files[f'notebook_cell_{number}.py'] = _kept_lines(code, kept)
    return Program(files, tuple(notes))


def _read(path):
    if path.stat().st_size > MAX_BYTES:
        raise NotebookError(f'{path.name} is larger than {MAX_BYTES >> 20} MiB, too large to grade: clear '
                            'its outputs (Kernel > Restart & Clear Output) and hand it in again')
    try:
        notebook = nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError, nbformat.reader.NotJSONError) as error:
        raise NotebookError(f'{path.name} is not a notebook: it is not JSON ({error})') from None
    except Exception as error:  # nbformat raises several kinds for files that are not notebooks
        raise NotebookError(f'{path.name} is not a Jupyter notebook ({type(error).__name__}: {error})') from None
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise NotebookError(f'{path.name} is not a valid Jupyter notebook: {error.message}') from None
    except Exception as error:  # noqa: BLE001 - a pathological document (deep nesting) is not valid either
        raise NotebookError(f'{path.name} is not a valid Jupyter notebook ({type(error).__name__})') from None
    return notebook


def _parse(number, source):
    """(code, tree) of a cell, IPython magics neutralised only if plain Python fails;
    or the note that says why the cell is skipped."""
    try:
        try:
            return source, ast.parse(source)
        except SyntaxError:
            code = _without_magics(source)
            return code, ast.parse(code)
    except SyntaxError as error:
        return f'cell {number} was skipped: SyntaxError on its line {error.lineno}: {error.msg}'
    except (RecursionError, MemoryError):
        return f'cell {number} was skipped: its code is nested too deeply to be read'
    except ValueError as error:   # null bytes in the source
        return f'cell {number} was skipped: {error}'


def _without_magics(source):
    """The cell with IPython magics and shell escapes replaced by `pass` (line numbers kept)."""
    lines = source.split('\n')
    if lines and lines[0].lstrip().startswith('%%'):
        return ''
    out = []
    for line in lines:
        stripped = line.lstrip()
        magic = stripped.startswith(('%', '!', '?')) or (line.rstrip().endswith('?') and not stripped.startswith('#'))
        out.append(line[:len(line) - len(stripped)] + 'pass' if magic else line)
    return '\n'.join(out)


def _describe(cell, node, own_modules):
    """A Statement with what `node` binds, loads and calls when it runs at module level."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return _describe_import(cell, node, own_modules)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return Statement(cell, node, 'def', binds={node.name})
    parts = _assignment_parts(node)
    if parts is None:
        return Statement(cell, node, 'other', dropped='only definitions are run')
    statement = Statement(cell, node, 'assign')
    for part in parts:
        if isinstance(part, ast.stmt):
            inner = _describe(cell, part, own_modules)
            statement.dropped = statement.dropped or inner.dropped
            statement.binds |= inner.binds
            statement.loads |= inner.loads
            statement.calls += inner.calls
            # A function defined inside an `if` is the notebook's own code, as a lambda is.
            statement.lambdas |= inner.lambdas or inner.kind == 'def'
            statement.unsafe_import |= inner.unsafe_import
        else:
            _scan(part, statement)
    return statement


def _assignment_parts(node):
    """The expressions and inner statements of an assignment, or of an `if` / `try` made of
    definitions and assignments; None for any other statement."""
    if isinstance(node, ast.Assign):
        return [*node.targets, node.value]
    if isinstance(node, ast.AnnAssign):
        return [node.target, node.annotation] + ([node.value] if node.value is not None else [])
    if isinstance(node, ast.AugAssign):
        # x += v reads x as well.
        target = ast.Name(node.target.id, ast.Load()) if isinstance(node.target, ast.Name) else node.target
        return [node.target, target, node.value]
    if isinstance(node, ast.If):
        return [node.test, *node.body, *node.orelse]
    if isinstance(node, ast.Try):
        handlers = [part for handler in node.handlers
                    for part in ([handler.type] if handler.type else []) + handler.body]
        return [*node.body, *handlers, *node.orelse, *node.finalbody]
    return None


def _describe_import(cell, node, own_modules):
    if isinstance(node, ast.ImportFrom):
        if node.level or node.module.split('.')[0] in own_modules:
            return Statement(cell, node, 'import', dropped="it imports the assignment's own modules")
        roots = [node.module.split('.')[0]]
    else:
        roots = [alias.name.split('.')[0] for alias in node.names]
        if set(roots) & own_modules:
            return Statement(cell, node, 'import', dropped="it imports the assignment's own modules")
    binds = {(alias.asname or alias.name).split('.')[0] for alias in node.names if alias.name != '*'}
    return Statement(cell, node, 'import', binds=binds, unsafe_import=bool(set(roots) & UNSAFE_MODULES),
                     star=any(alias.name == '*' for alias in node.names))


def _scan(expression, statement):
    """Add to `statement` what evaluating `expression` at module level does: the names it
    reads and binds, the calls it makes, whether it builds a lambda. The bodies of lambdas
    run later and are not scanned (their default values are); comprehensions run now."""
    stack = [(expression, frozenset())]
    while stack:
        node, local = stack.pop()
        if isinstance(node, ast.Lambda):
            statement.lambdas = True
            stack += [(d, local) for d in node.args.defaults + node.args.kw_defaults if d is not None]
            continue
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            local = local | {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Name) and node.id not in local:
            (statement.loads if isinstance(node.ctx, ast.Load) else statement.binds).add(node.id)
        elif isinstance(node, ast.Call):
            statement.calls.append(node)
        stack += [(child, local) for child in ast.iter_child_nodes(node)]


def _choose(statements):
    """Mark the statements that are not run, and why: first the assignments whose calls
    are unsafe, then, until nothing changes, those that read a name only dropped
    statements bind and those that share a line with a dropped statement."""
    callables = _callables(statements)
    unsafe = {name for s in statements if s.unsafe_import and not s.dropped for name in s.binds}
    for s in statements:
        if s.kind == 'assign' and not s.dropped:
            s.dropped = _call_problem(s, callables, unsafe)
    while _drop_shared_lines(statements) | _drop_unbound(statements):
        pass


def _drop_unbound(statements):
    """Drop the assignments that read a name no kept statement binds; True if any was."""
    kept = [s for s in statements if not s.dropped]
    bound = BUILTIN_NAMES | {name for s in kept for name in s.binds}
    elsewhere = {name for s in statements if s.dropped for name in s.binds} - bound
    star = any(s.star for s in kept)   # `from numpy import *` may bind any name
    changed = False
    for s in kept:
        missing = sorted(n for n in s.loads if n not in bound and (n in elsewhere or not star))
        if s.kind == 'assign' and missing:
            verb = 'is' if len(missing) == 1 else 'are'
            s.dropped = f'it uses {", ".join(missing)}, which {verb} not defined by code that is run'
            changed = True
    return changed


def _drop_shared_lines(statements):
    """Drop the kept statements on a line they share with a dropped one (`x = 1; print(x)`
    cannot be copied without the print); True if any was."""
    dropped_lines = {(s.cell, line) for s in statements if s.dropped
                     for line in range(s.first_line, s.node.end_lineno + 1)}
    changed = False
    for s in statements:
        if not s.dropped and {(s.cell, s.first_line), (s.cell, s.node.end_lineno)} & dropped_lines:
            s.dropped = 'it shares a line with code that is not run'
            changed = True
    return changed


def _callables(statements):
    """Names that hold the notebook's own code: its functions and classes, and every name
    assigned from a lambda or from another such name (a dispatch table, an alias)."""
    names = {name for s in statements if s.kind == 'def' for name in s.binds}
    changed = True
    while changed:
        grown = {name for s in statements if s.kind == 'assign' and (s.lambdas or s.loads & names)
                 for name in s.binds}
        changed = not grown <= names
        names |= grown
    return names


def _call_problem(statement, callables, unsafe):
    """Why the calls of an assignment must not run at grading time, or ''."""
    for call in statement.calls:
        func, root = call.func, call.func
        while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
            root = root.func if isinstance(root, ast.Call) else root.value
        name = root.id if isinstance(root, ast.Name) else None
        terminal = func.attr if isinstance(func, ast.Attribute) else getattr(func, 'id', None)
        if isinstance(func, ast.Name) and func.id in UNSAFE_BUILTINS:
            return f'it calls {func.id}'
        if name in callables:
            return f'it calls {name}, which the notebook defines'
        if name in unsafe or terminal in UNSAFE_METHODS:
            return f'it calls {shown(func)}'
        if name is None and not isinstance(root, ast.Constant):
            return 'it calls a function it builds'
        if terminal not in NON_CALLING and _passes_own_code(call, callables):
            return f'it passes a function of the notebook to {shown(func)}'
    return ''


def _passes_own_code(call, callables):
    probe = Statement(0, ast.Pass(), 'assign')
    for argument in call.args + [keyword.value for keyword in call.keywords]:
        _scan(argument, probe)
    return probe.lambdas or bool(probe.loads & callables)


def _needed_but_dropped(statements):
    """Notes for the assignments and imports that were not run although a function of the
    notebook reads a global name they bind."""
    read = set().union(*(_global_reads(s.node) for s in statements if s.kind == 'def' and not s.dropped))
    bound = {name for s in statements if not s.dropped for name in s.binds}
    notes = []
    for s in statements:
        names = sorted((s.binds & read) - bound)
        if s.dropped and s.kind in ('assign', 'import') and names:
            notes.append(f'cell {s.cell}, line {s.first_line}: `{shown(s.node)}` was not run ({s.dropped}), '
                         f'so {", ".join(names)} is undefined for the functions that use it')
    return notes


def _global_reads(node):
    """The global names the functions and classes of a definition read."""
    try:
        table = symtable.symtable(ast.unparse(node), '<cell>', 'exec')
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return set()
    names, stack = set(), list(table.get_children())
    while stack:
        scope = stack.pop()
        names |= {symbol.get_name() for symbol in scope.get_symbols()
                  if symbol.is_referenced() and symbol.is_global()}
        stack += scope.get_children()
    return names


def shown(node):
    """The first line of a statement or expression, shortened for a note."""
    try:
        text = ast.unparse(node).split('\n')[0]
    except (RecursionError, MemoryError):   # unparsing recurses: an expression nested very deeply
        return f'{type(node).__name__.lower()} on line {node.lineno}'
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS - 3] + '...'


def _kept_lines(code, kept):
    """The cell's source with every line outside the kept statements blanked."""
    lines = code.split('\n')
    keep = {line for s in kept for line in range(s.first_line, s.node.end_lineno + 1)}
    return '\n'.join(line if number in keep else '' for number, line in enumerate(lines, start=1)) + '\n'
