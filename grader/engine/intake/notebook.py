"""Turn a Jupyter notebook into modules: its definitions, cell by cell, nothing else.

A notebook is graded by what it defines, exactly as the same code would be in a .py file:
imports, functions, classes, and module-level assignments such as a dispatch table
(`_FORWARD = {'tanh': tanh}`), a lambda or a constant built with numpy
(`EPS = np.finfo(float).eps`). What a cell *does* is left out: calls of the notebook's
own functions (training runs), plots, prints, loops, IPython magics, and every statement
that needs a name only such code binds (`X, y = load_moons(...)`). Imports of the
assignment's own modules are left out too: in a notebook everything already shares one
namespace.

The file is streamed (ijson), and only the cells' types and sources are kept: outputs and
attachments, saved images included, are read past without being built, so a notebook
costs the memory of its code, not of its size. The analysis is static, runs in the
grader, and takes time linear in the code. Each code cell's kept statements become
a file `notebook_cell_N.py` (N counts every cell of the notebook from 1) in which every
other line is blank, so a traceback's line number is the line inside the cell; the
package's `notebook.py` (notebook_loader.py) runs them in order, one statement at a time.
"""

import ast
import builtins
import re
import secrets
import symtable
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import ijson

from ..text import clean

MAX_BYTES = 100 * 2 ** 20          # Gradescope's upload limit: no larger notebook can be handed in
# Characters of code in all code cells. What parsing costs grows with the code's tokens:
# a MiB of the reference's code takes 35 MiB and 0.4 s, a MiB of `1` lines 1.3 GiB and 7 s.
MAX_CODE = 2 ** 20
MAX_CELLS = 10_000
MAX_DEPTH = 1_000                  # JSON nesting: Python's json module refuses deeper documents too
MAX_NOTES = 20
CHUNK = 2 ** 16                    # bytes read at a time: ijson holds the events of one at once
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
MAX_NUMBER = 4300             # characters of a JSON number: Python's default bound on int digits


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
    without code cells, or whose code is too large.
    """
    path = Path(path)
    cells = _read(path)
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
    kept = defaultdict(list)
    for s in statements:
        if not s.dropped:
            kept[s.cell].append(s)
    for number, code in sources.items():
        if kept[number]:
            files[f'notebook_cell_{number}.py'] = _kept_lines(code, kept[number])
    return Program(files, tuple(_capped(notes)))


def code_cells(path):
    """[(cell number, source)] of a notebook's code cells, as definitions reads them, for
    another reader of the code (intake/copies.py). Raises NotebookError as definitions does."""
    return _read(Path(path))


def parse_cell(number, source):
    """(code, tree) of a cell as definitions parses it, IPython magics neutralised; or the
    note that says why it cannot be read."""
    return _parse(number, source)


def _read(path):
    """[(cell number, source)] of the notebook's code cells, numbering every cell from 1.

    The file is streamed: the events of the cells' types and sources are kept, those of
    everything else are counted past, so outputs and attachments are never built."""
    if path.stat().st_size > MAX_BYTES:
        raise NotebookError(f'{path.name} is larger than {MAX_BYTES >> 20} MiB, more than Gradescope accepts: '
                            'too large to grade')
    strings = _LongStrings(MAX_CODE)
    try:
        with open(path, 'rb') as raw:
            return _notebook(_events(raw, strings), path.name, strings.marker)
    except NotebookError:
        raise
    # ijson's C backend reports a number too long to convert (a ValueError) as a SystemError.
    except (ijson.JSONError, ValueError, SystemError) as error:
        raise NotebookError(f'{path.name} is not a notebook: it is not JSON ({_reason(error)})') from None


def _reason(error):
    """The first line of what ijson says is wrong, or of its cause."""
    text = str(error.__cause__ or error).removeprefix("b'")
    return clean(re.split(r'\n|\\n', text, maxsplit=1)[0].strip(), 200)


def _events(raw, strings):
    """ijson's basic events of the JSON in a binary file, CHUNK bytes at a time. Basic:
    ijson.parse would also build each event's path, quadratic in the nesting depth."""
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events)
    while chunk := raw.read(CHUNK):
        _send(parser, strings.feed(chunk))
        yield from events
        events.clear()
    _send(parser, strings.end())
    parser.close()
    yield from events


def _send(parser, data):
    if data:   # an empty chunk would tell the parser the file has ended
        parser.send(data)


class _LongStrings:
    """JSON, fed chunk by chunk, with every string of more than `limit` bytes replaced by
    a random word (`marker`). ijson holds a string whole and scans it again for each chunk
    it is fed: a 60 MB image in an output would cost twice its size and 20 s. No code
    that can be graded needs a longer string, and all the rest passes unchanged."""

    # Outside strings: the bytes up to a string that does not end in the chunk.
    OUTSIDE = re.compile(rb'(?:[^"]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
    # Inside a string: its bytes up to its closing quote, or to the chunk's end.
    INSIDE = re.compile(rb'(?:[^"\\]++|\\.)*+', re.DOTALL)
    # A number longer than Python converts by default, outside the strings of what is passed
    # on: ijson reads a number that spans chunks again for each one, in time quadratic in it.
    LONG_NUMBER = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[-+0-9.eE]{%d,}' % (MAX_NUMBER + 1), re.DOTALL)
    NUMBER = b'-+0123456789.eE'

    def __init__(self, limit):
        self.limit = limit
        self.marker = secrets.token_hex(16)
        self.inside = False        # a string runs on from the last chunk
        self.held = []             # its bytes so far from its opening quote, or None once too long
        self.size = 0
        self.escape = b''          # a backslash that ended the last chunk
        self.number = 0            # characters of a number that ended what was passed on

    def feed(self, chunk):
        """What can be passed on of the JSON read so far, given its next chunk."""
        data, self.escape = self.escape + chunk, b''
        out, position = [], 0
        if self.inside:
            position = self._string(data, 0, out)
        while position < len(data):
            end = self.OUTSIDE.match(data, position).end()
            out.append(data[position:end])
            if end < len(data):   # data[end] opens a string that runs past this chunk
                self.inside, self.held, self.size = True, [b'"'], 0
                end = self._string(data, end + 1, out)
            position = end
        passed = b''.join(out)
        self._check_numbers(passed)
        return passed

    def _check_numbers(self, passed):
        """ValueError for a number of more than MAX_NUMBER characters in what is passed on,
        counting one that runs on from the last chunk."""
        run = self.number + len(passed) - len(passed.lstrip(self.NUMBER))
        long = any(not match.group().startswith(b'"') for match in self.LONG_NUMBER.finditer(passed))
        if long or run > MAX_NUMBER:
            raise ValueError(f'it holds a number of more than {MAX_NUMBER} digits')
        ending = len(passed) - len(passed.rstrip(self.NUMBER))
        self.number = run if ending == len(passed) else ending

    def end(self):
        """The rest, at the end of the file: an unfinished string as it came, for ijson to refuse."""
        if not self.inside:
            return self.escape
        return (b''.join(self.held) if self.held is not None else b'"' + self.marker.encode()) + self.escape

    def _string(self, data, position, out):
        """Read the open string from `position`; where it ends, or len(data) if it runs on."""
        end = self.INSIDE.match(data, position).end()
        self._hold(data[position:end])
        if end == len(data):
            return end
        if data[end:end + 1] == b'\\':   # the chunk's last byte: the escaped byte comes next
            self.escape = b'\\'
            return len(data)
        out.append(b''.join(self.held) + b'"' if self.held is not None else f'"{self.marker}"'.encode())
        self.inside, self.held = False, []
        return end + 1

    def _hold(self, piece):
        if self.held is None:
            return
        self.size += len(piece)
        if self.size > self.limit:
            self.held = None
        else:
            self.held.append(piece)


def _notebook(events, name, marker):
    """The code cells of a notebook's events, checked to be a notebook of format 4."""
    if next(events)[0] != 'start_map':
        raise NotebookError(f'{name} is not a Jupyter notebook: it is not a JSON object')
    cells, version = None, None
    for key in json_keys(events):
        if key == 'cells' and cells is None:
            cells = _cells(events, name, marker)
        elif key == 'nbformat':
            event, version = next(events)
            _skip(events, event, name)
        else:
            _skip(events, next(events)[0], name)
    next(events, None)   # reads to the end of the file, where ijson refuses anything but whitespace
    if version is None or cells is None:
        raise NotebookError(f'{name} is not a Jupyter notebook: it has no '
                            + ('nbformat version' if version is None else 'list of cells'))
    if version != 4:
        raise NotebookError(f'{name} is not a Jupyter notebook of format 4 (its nbformat is {clean(version, 20)}): '
                            'open it in Jupyter and save it again')
    return cells


class TooDeep(ValueError):
    """A JSON value nested more than MAX_DEPTH deep."""


def json_keys(events):
    """The keys of the JSON object just begun in ijson's `events`; the caller reads each key's value."""
    for event, value in events:
        if event == 'end_map':
            return
        yield value


def skip_value(events, event):
    """Read past the JSON value that begins with `event`, building nothing; TooDeep past MAX_DEPTH."""
    depth = event in ('start_map', 'start_array')
    while depth:
        event = next(events)[0]
        depth += (event in ('start_map', 'start_array')) - (event in ('end_map', 'end_array'))
        if depth > MAX_DEPTH:
            raise TooDeep(f'its JSON is nested more than {MAX_DEPTH} deep')


def _skip(events, event, name):
    """skip_value, its failure said of the notebook `name`."""
    try:
        skip_value(events, event)
    except TooDeep as error:
        raise NotebookError(f'{name} is not a notebook: {error}') from None


def _cells(events, name, marker):
    """[(number, source)] of the code cells of the list of cells just read."""
    if next(events)[0] != 'start_array':
        raise NotebookError(f'{name} is not a Jupyter notebook: its cells are not a list')
    code, room = [], MAX_CODE
    for number, event in cell_values(events, NotebookError(f'{name} has more than {MAX_CELLS} cells, too many to '
                                                          'grade')):
        if event != 'start_map':
            raise NotebookError(f'{name} is not a Jupyter notebook: its cell {number} is not a JSON object')
        cell_type, source = _cell(events, name, number, marker, room)
        if cell_type == 'code':
            code.append((number, source))
            room -= len(source)
    return code


def cell_values(events, too_many):
    """(number, the event its value begins with) of each item of the list of cells just begun,
    numbered from 1, until the list ends; the caller reads each value. Raises `too_many` (an
    exception) at item MAX_CELLS + 1."""
    for number, (event, _) in enumerate(events, start=1):
        if event == 'end_array':
            return
        if number > MAX_CELLS:
            raise too_many
        yield number, event


def _cell(events, name, number, marker, room):
    """(cell_type, source) of the cell just begun; source '' for a cell that has none."""
    cell_type, source = None, ''
    for key in json_keys(events):
        if key == 'cell_type':
            event, cell_type = next(events)
            _skip(events, event, name)
        elif key == 'source':
            # Only a code cell's source is kept; a cell's keys may come in any order.
            source = _source(events, name, number, marker, room if cell_type in (None, 'code') else 0)
        else:
            _skip(events, next(events)[0], name)
    if not isinstance(cell_type, str):
        raise NotebookError(f'{name} is not a Jupyter notebook: its cell {number} has no cell_type')
    if cell_type == 'code' and source is None:
        raise NotebookError(f'{name} holds more than {MAX_CODE >> 20} MiB of code, too much to grade')
    return cell_type, source


def _source(events, name, number, marker, room):
    """The source just begun (a string or a list of strings) as one string, or None when
    it holds more than `room` characters."""
    event, value = next(events)
    pieces = iter(lambda: next(events), ('end_array', None)) if event == 'start_array' else [(event, value)]
    kept, size = [], 0
    for event, value in pieces:
        if event != 'string':
            raise NotebookError(f'{name} is not a Jupyter notebook: the source of its cell {number} is not text')
        size += len(value) if value != marker else room + 1
        if size <= room:
            kept.append(value)
    return ''.join(kept) if size <= room else None


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
    are unsafe, then, until nothing changes, those that share a line with a dropped
    statement and those that read a name only dropped statements bind."""
    callables = _callables(statements)
    unsafe = {name for s in statements if s.unsafe_import and not s.dropped for name in s.binds}
    for s in statements:
        if s.kind == 'assign' and not s.dropped:
            s.dropped = _call_problem(s, callables, unsafe)
    _Drops(statements).spread()


class _Drops:
    """The drops that follow from the statements dropped so far, round after round.

    Each round first drops the kept statements on a line of a statement dropped before
    the round (`x = 1; print(x)` cannot be copied without the print), then the assignments
    that read a name no kept statement binds then. A drop is the same wherever it comes
    from, so a step looks only at the statements that the drops since the same step of
    the previous round concern, by line and by name: the work is linear in the size of
    the statements, where checking every statement in every round was quadratic (a chain
    `a2 = a1`, `a3 = a2`, ... loses one statement a round)."""

    def __init__(self, statements):
        self.assignments = [s for s in statements if s.kind == 'assign']
        self.on_line = defaultdict(list)       # (cell, line): the statements that begin or end on it
        self.readers = defaultdict(list)       # name: the assignments that read it
        self.binders = Counter()               # name: how many kept statements bind it
        self.bound = set()                     # names that some statement binds, kept or not
        self.stars = 0                         # kept `from module import *`, which may bind any name
        self.dropped_lines = set()
        for s in statements:
            for line in {s.first_line, s.node.end_lineno}:
                self.on_line[s.cell, line].append(s)
            self.bound |= s.binds
            if not s.dropped:
                self.binders.update(s.binds)
                self.stars += s.star
        for s in self.assignments:
            for name in s.loads - BUILTIN_NAMES:
                self.readers[name].append(s)
        # What each step looks at next, in order and once. The first round looks at the
        # statements on the lines of those dropped before it, and at every assignment.
        self.waiting = {'line': {}, 'name': {}}
        self._wait('name', self.assignments)
        for s in statements:
            if s.dropped:
                self._drop_lines(s)

    def spread(self):
        """Drop, until nothing changes, what the drops so far entail."""
        while self._line_step() | self._name_step():
            pass

    def _line_step(self):
        """Drop the kept statements that begin or end on a dropped line; True if any was."""
        chosen = [s for s in self._take('line') if not s.dropped
                  and {(s.cell, s.first_line), (s.cell, s.node.end_lineno)} & self.dropped_lines]
        for s in chosen:
            self._drop(s, 'it shares a line with code that is not run')
        return bool(chosen)

    def _name_step(self):
        """Drop the kept assignments that read a name no kept statement binds; True if any was."""
        chosen = [(s, missing) for s in self._take('name') if not s.dropped and (missing := self._missing(s))]
        for s, missing in chosen:
            verb = 'is' if len(missing) == 1 else 'are'
            self._drop(s, f'it uses {", ".join(missing)}, which {verb} not defined by code that is run')
        return bool(chosen)

    def _missing(self, s):
        """The names `s` reads that no kept statement binds, sorted: those a dropped one binds,
        and under no kept star import those nothing binds."""
        return sorted(name for name in s.loads if name not in BUILTIN_NAMES and not self.binders[name]
                      and (name in self.bound or not self.stars))

    def _take(self, step):
        """The statements a step looks at now; those that later drops concern gather anew."""
        waiting, self.waiting[step] = self.waiting[step], {}
        return waiting.values()

    def _wait(self, step, statements):
        self.waiting[step].update((id(s), s) for s in statements)   # statements are not hashable

    def _drop(self, s, why):
        """Drop `s`, and gather the statements it concerns for the next steps."""
        s.dropped = why
        self._drop_lines(s)
        for name in s.binds:
            self.binders[name] -= 1
            if not self.binders[name]:
                self._wait('name', self.readers.get(name, ()))
        self.stars -= s.star
        if s.star and not self.stars:   # every name nothing binds is now missing
            self._wait('name', self.assignments)

    def _drop_lines(self, s):
        for line in range(s.first_line, s.node.end_lineno + 1):
            if (s.cell, line) not in self.dropped_lines:
                self.dropped_lines.add((s.cell, line))
                self._wait('line', self.on_line.get((s.cell, line), ()))


def _callables(statements):
    """Names that hold the notebook's own code: its functions and classes, and every name
    assigned from a lambda or from another such name (a dispatch table, an alias).

    Spread from name to readers, each assignment once: linear in the statements' names."""
    names = {name for s in statements if s.kind == 'def' for name in s.binds}
    readers = defaultdict(list)
    for s in statements:
        if s.kind == 'assign':
            for name in s.loads:
                readers[name].append(s)
    reached = [s for s in statements if s.kind == 'assign' and s.lambdas]
    reached += [s for name in names for s in readers.get(name, ())]
    done = set()
    while reached:
        s = reached.pop()
        if id(s) in done:
            continue
        done.add(id(s))
        for name in s.binds - names:
            names.add(name)
            reached += readers.get(name, ())
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
    """The global names the functions and classes of a definition read; none when the
    definition cannot be printed again (a huge int literal, deep nesting): this only
    feeds notes, and a note is never worth a point."""
    try:
        table = symtable.symtable(ast.unparse(node), '<cell>', 'exec')
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return set()
    names, stack = set(), list(table.get_children())
    while stack:
        scope = stack.pop()
        names |= {symbol.get_name() for symbol in scope.get_symbols()
                  if symbol.is_referenced() and symbol.is_global()}
        stack += scope.get_children()
    return names


def shown(node):
    """The first line of a statement or expression, shortened for a note. Never raises:
    a note must not cost a point, and ast.unparse refuses an int literal of more than
    4300 digits (ValueError) and recurses through a deeply nested expression."""
    try:
        text = ast.unparse(node).partition('\n')[0]
    except (ValueError, RecursionError, MemoryError, OverflowError):
        return f'{type(node).__name__.lower()} on line {node.lineno}'
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS - 3] + '...'


def _kept_lines(code, kept):
    """The cell's source with every line outside the kept statements blanked."""
    lines = code.split('\n')
    keep = {line for s in kept for line in range(s.first_line, s.node.end_lineno + 1)}
    return '\n'.join(line if number in keep else '' for number, line in enumerate(lines, start=1)) + '\n'


def _capped(notes):
    return notes if len(notes) <= MAX_NOTES else notes[:MAX_NOTES] + [f'... and {len(notes) - MAX_NOTES} more']
