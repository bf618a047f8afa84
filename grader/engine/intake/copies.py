"""Which copy of the assignment in a folder or zip is graded, when it holds more than one.

A copy is a folder that holds some of the assignment's module files, or a notebook
(.ipynb). A submission may hold several: the skeleton beside the finished work, a backup,
the skeleton's modules beside a finished notebook. A folder and a zip list their files
alike (folder.Folder, archive.Zip), and one rule picks among the same copies, so a folder
and a zip of it are graded from the same copy:

1. the most of the assignment's functions implemented. A function is implemented when the
   last top-level def, class or assignment of its name (in its module; in a notebook, in
   any cell) is not a stub: a def whose body is only a docstring, `pass`, `...`, a `return`
   of a constant or `raise NotImplementedError`. The code is parsed, never run;
2. then the most module files (a notebook holds none);
3. then the shallowest;
4. then the first by name.

With one copy nothing is counted and nothing is said; with more, a note names the copy
graded, the copies ignored and, on a tie, what decided it. Counting is bounded: a module
file or notebook cell of more than MAX_SOURCE characters, code past MAX_PARSED characters
in all, and notebooks past MAX_COPIED bytes in all count no function.
"""

import ast
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from ..text import clean
from . import notebook
from .entries import DAMAGED, NAME, TooLarge, stream

# What parsing costs grows with the code's tokens: 128 KiB of `1` lines take 100 MiB and
# 1.6 s; the largest module of the reference is 16 KiB.
MAX_SOURCE = 128 * 2 ** 10
MAX_PARSED = 2 * 2 ** 20
MAX_COPIED = 2 * notebook.MAX_BYTES
MAX_SHOWN = 3                 # ignored copies named in the note; the others are counted


@dataclass(frozen=True)
class Copy:
    """A copy of the assignment in a submission.

    - path: the folder of its module files, or the notebook, relative to the submission
    - modules: how many of the assignment's module files it holds (0 for a notebook)
    - implemented: how many of the assignment's functions it implements (counted only
      when the submission holds more than one copy)
    """

    path: PurePosixPath
    modules: int
    implemented: int = 0

    @property
    def notebook(self):
        return self.modules == 0

    @property
    def depth(self):
        return len(self.path.parts) - self.notebook

    @property
    def shown(self):
        if self.notebook:
            return clean(str(self.path), NAME)
        return 'the top folder' if not self.path.parts else clean(f'{self.path}/', NAME)


def find(paths, module_files):
    """[Copy] of the copies among a submission's relative file paths, by depth then name."""
    counts = {}
    for path in paths:
        if path.name in module_files:
            counts[path.parent] = counts.get(path.parent, 0) + 1
    found = [Copy(folder, count) for folder, count in counts.items()]
    found += [Copy(path, 0) for path in paths if path.suffix.lower() == '.ipynb']
    return sorted(found, key=lambda copy: (copy.depth, str(copy.path)))


def rank(copy):
    """The sort key of the rule: the copy to grade sorts first."""
    return -copy.implemented, -copy.modules, copy.depth, str(copy.path)


def choose(entries, spec, scratch, notes):
    """The Copy to grade.

    Inputs:
    - entries: {relative PurePosixPath: opener} of a folder's or zip's files
    - spec: the engine.spec.Assignment
    - scratch: a folder of the grader's where a notebook is copied to be read
    - notes: the submission's notes; with more than one copy, one that names them goes first

    Returns:
    - Copy, or None when the entries hold none
    """
    found = find(entries, spec.module_files)
    if len(found) < 2:
        return found[0] if found else None
    counter = _Counter(entries, spec, scratch)
    ranked = sorted((replace(copy, implemented=counter.implemented(copy)) for copy in found), key=rank)
    notes.insert(0, note(ranked, len(counter.everything)))
    return ranked[0]


def note(ranked, total):
    """What the student reads: the copy graded, the copies ignored, and what broke a tie."""
    chosen, ignored = ranked[0], ranked[1:]
    what = 'the notebook' if chosen.notebook else 'the modules in'
    text = (f'Graded {what} {chosen.shown} ({chosen.implemented} of {total} functions implemented); ignored '
            + ', '.join(f'{copy.shown} ({copy.implemented} implemented)' for copy in ignored[:MAX_SHOWN]))
    if len(ignored) > MAX_SHOWN:
        text += f' and {len(ignored) - MAX_SHOWN} more'
    runner_up = ignored[0]
    if runner_up.implemented != chosen.implemented:
        return text
    if runner_up.modules != chosen.modules:
        why = 'the copy with the most module files'
    elif runner_up.depth != chosen.depth:
        why = 'the shallowest copy'
    else:
        why = 'the first copy by name'
    return f'{text}. They implement as many functions: {why} was graded'


def implemented(trees, functions):
    """The names in `functions` whose last top-level def, class or assignment in the
    parsed modules `trees`, read in order, is not a stub."""
    last = {}
    for tree in trees:
        for node in tree.body:
            for name, stub in _bindings(node):
                if name in functions:
                    last[name] = stub
    return {name for name, stub in last.items() if not stub}


def _bindings(node):
    """[(name, whether it binds a stub)] of a top-level statement."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [(node.name, all(map(_filler, node.body)))]
    if isinstance(node, ast.ClassDef):
        return [(node.name, False)]
    if isinstance(node, ast.Assign):
        return [(target.id, False) for target in node.targets if isinstance(target, ast.Name)]
    if isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
        return [(node.target.id, False)]
    return []


def _filler(statement):
    """Whether a statement of a function's body is what a stub holds: a docstring, `pass`,
    `...`, `raise NotImplementedError` (called or not), or a placeholder `return` of a constant
    (`return None`, `return 0`)."""
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Return):
        return statement.value is None or isinstance(statement.value, ast.Constant)
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return isinstance(statement.value.value, str) or statement.value.value is Ellipsis
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(raised, ast.Name) and raised.id == 'NotImplementedError'
    return False


class _Counter:
    """Counts the functions each copy of one submission implements, within the bounds."""

    def __init__(self, entries, spec, scratch):
        self.entries, self.scratch = entries, scratch
        self.functions = {module.file: set(module.functions) for module in spec.modules}
        self.everything = set().union(*self.functions.values())
        self.parsed = self.copied = 0

    def implemented(self, copy):
        if copy.notebook:
            return len(implemented(self._cells(copy.path), self.everything))
        return sum(len(implemented([tree], functions)) for file, functions in self.functions.items()
                   if (tree := self._module(copy.path / file)) is not None)

    def _module(self, path):
        """The parsed module file at `path`, or None."""
        if path not in self.entries:
            return None
        try:
            with self.entries[path]() as f:
                source = f.read(MAX_SOURCE + 1)
        except DAMAGED:
            return None
        if not self._room(len(source)):
            return None
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    def _cells(self, path):
        """[parsed code cell] of the notebook at `path`, copied to the scratch folder to be read."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        target = self.scratch / 'counted.ipynb'
        try:
            stream(self.entries[path], target, min(notebook.MAX_BYTES, MAX_COPIED - self.copied))
            cells = notebook.code_cells(target)
        except (TooLarge, notebook.NotebookError, *DAMAGED):
            return []
        finally:
            if target.exists():
                self.copied += target.stat().st_size
                target.unlink()
        trees = []
        for number, source in cells:
            parsed = notebook.parse_cell(number, source) if self._room(len(source)) else None
            if isinstance(parsed, tuple):
                trees.append(parsed[1])
        return trees

    def _room(self, size):
        """Whether `size` characters of code may still be parsed; if so they are counted."""
        if size > MAX_SOURCE or self.parsed + size > MAX_PARSED:
            return False
        self.parsed += size
        return True
