"""An assignment as data: what the engine knows of a homework, and all it knows.

A homework is a folder with a `spec.py` that defines `SPEC`, an Assignment, and a
`suites/` folder with `public/` and `hidden/` pytest suites. The engine reads the spec to
build the `student` seam (one attribute per module, one function per contract name), to
file every test under a part by its first tag, to check that each part's tests add up to
its points, and to find the reference, the skeleton and the handout; everything else a
homework knows (hyper-parameters, tasks, thresholds, diagnoses) is its own business.

An offering is a subset of the parts (`offering.json` beside the spec, written by a
release): the engine then sees only those parts and their modules.
"""

import importlib
import importlib.util
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .answers import Written

OFFERING = 'offering.json'


@dataclass(frozen=True)
class Module:
    """A module of the submission and the contract functions it defines."""

    name: str
    functions: tuple

    @property
    def file(self):
        return f'{self.name}.py'


@dataclass(frozen=True)
class Part:
    """A graded part: its number, title, points and the functions whose tests count in it.

    helpers: functions students write for this part that have no tests of their own: they
    are graded through the functions built on them, whose tests find their mistakes
    """

    number: int
    title: str
    points: float
    functions: tuple
    helpers: tuple = ()

    @property
    def name(self):
        return f'{self.number}. {self.title}'


@dataclass(frozen=True)
class Assignment:
    """A homework, as the engine sees it.

    - title: the homework's name
    - package: the name the submission's modules are imported under
    - modules: (Module, ...), the files a submission provides
    - parts: (Part, ...), in order
    - provided: modules of the package that students receive written (never graded),
      e.g. ('data', 'plots'): a notebook's imports of them are left out
    - root: the folder the paths below are relative to
    - folder: the homework's folder (spec.py, suites/); load() sets it to where it found the spec
    - solution, skeleton: folders of the reference and of the student skeleton
    - handout: the handout's Markdown file
    - left_out: functions of the parts an offering leaves out (their tests are not run)
    - calls: ((function, (the contract functions the reference builds it on, ...)), ...): a
      test of the function may find that its wrong result follows from theirs, and a failed
      test of it names those of them that fail their own tests (pairs, so that the spec stays
      hashable)
    - training_timeout: seconds a call may take in a test marked `training` (a fit of the
      homework's sizes with loops the handout allows takes well under it)
    - written: the questions students answer in prose, graded by hand (answers.Written)
    """

    title: str
    package: str
    modules: tuple
    parts: tuple
    provided: tuple = ()
    root: Path = None
    folder: Path = None
    solution: str = 'solution'
    skeleton: str = None
    handout: str = None
    left_out: tuple = ()
    calls: tuple = ()
    training_timeout: float = 60.0
    written: Written = Written()

    @property
    def suites(self):
        return self.folder / 'suites'

    @property
    def module_files(self):
        return tuple(module.file for module in self.modules)

    @property
    def points(self):
        return sum(part.points for part in self.parts)

    def part_of(self, function):
        """The Part whose tests a test tagged first with `function` counts in, or None."""
        return next((part for part in self.parts if function in part.functions), None)

    def module_of(self, function):
        """The name of the module that defines `function`, or None."""
        return next((module.name for module in self.modules if function in module.functions), None)

    def built_on(self, function):
        """{function it is built on: the name of its module}, from `calls`."""
        return {name: self.module_of(name) for name in dict(self.calls).get(function, ())}

    def offering(self, numbers):
        """The assignment restricted to the parts numbered `numbers`, and to their modules."""
        unknown = set(numbers) - {part.number for part in self.parts}
        if unknown:
            raise ValueError(f'{self.title} has no part {", ".join(map(str, sorted(unknown)))}; its parts are '
                             f'{format_parts([part.number for part in self.parts])}')
        parts = tuple(part for part in self.parts if part.number in numbers)
        offered = {function for part in parts for function in part.functions}
        modules = tuple(module for module in self.modules if offered & set(module.functions))
        left_out = tuple(function for part in self.parts if part not in parts for function in part.functions)
        return replace(self, parts=parts, modules=modules, left_out=self.left_out + left_out)

    def selection(self, parts=(), functions=()):
        """The tests of some parts (or of some functions), graded with every module of the
        assignment at hand: what the submission's other functions return still tells the
        feedback where a mistake comes from (a wrong result that follows from another function's)."""
        chosen = self.only(functions) if functions else self.offering(parts)
        return replace(chosen, modules=self.modules)

    def only(self, functions):
        """The assignment restricted to the tests of `functions`: their parts, with the other
        functions of those parts left out (a check of one function)."""
        unknown = [name for name in functions if self.part_of(name) is None]
        if unknown:
            raise ValueError(f'{self.title} grades no function {", ".join(unknown)}')
        offered = self.offering(sorted({self.part_of(name).number for name in functions}))
        others = tuple(name for part in offered.parts for name in part.functions if name not in functions)
        return replace(offered, left_out=offered.left_out + others)


def load(folder):
    """The Assignment of a homework folder, restricted to its offering when it has one.

    The spec is imported under its package name when the folder is a package on
    sys.path (grader/ is `grader.spec`), so that the suites and the engine share it.
    """
    folder = Path(folder).resolve()
    spec = _import_spec(folder).SPEC
    spec = replace(spec, folder=folder)
    offering = folder / OFFERING
    if offering.exists():
        spec = spec.offering(json.loads(offering.read_text())['parts'])
    return spec


def parse_parts(text):
    """Part numbers from '1-5', '1,2,6' or '1-3,7'."""
    numbers = []
    for chunk in filter(None, (piece.strip() for piece in text.split(','))):
        low, _, high = chunk.partition('-')
        try:
            numbers += list(range(int(low), int(high or low) + 1))
        except ValueError:
            raise ValueError(f'{text!r}: expected part numbers such as 1-5 or 1,2,6') from None
    return sorted(set(numbers))


def format_parts(numbers):
    """The text parse_parts reads back as these part numbers: '1-3,6'."""
    numbers, runs = sorted(set(numbers)), []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ','.join(str(low) if low == high else f'{low}-{high}' for low, high in runs)


def _import_spec(folder):
    for entry in map(Path, sys.path):
        entry = (entry if entry.is_absolute() else Path.cwd() / entry).resolve()
        if folder.is_relative_to(entry) and folder != entry:
            relative = folder.relative_to(entry)
            if all((entry / Path(*relative.parts[:depth]) / '__init__.py').exists()
                   for depth in range(1, len(relative.parts) + 1)):
                return importlib.import_module('.'.join(relative.parts) + '.spec')
    spec = importlib.util.spec_from_file_location(f'_assignment_spec_{abs(hash(folder))}', folder / 'spec.py')
    if spec is None:
        raise ValueError(f'{folder} holds no spec.py: not an assignment folder')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
