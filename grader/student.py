"""The seam: the one object through which every test reaches a submission.

Tests write `student.losses.softmax(x)`. Arguments go in as plain data and copies;
results come back as plain data or not at all: every failure of the student's code
raises StudentFailure, whose outcome and message the feedback is built from. What
runs the code (this process, or a sandboxed worker) is the backend's business.
"""

import itertools
import shutil
import tempfile
from pathlib import Path

from .contract import MODULES
from .plain import UnsupportedType, check_plain, copy_plain, describe
from .runner import Failure as StudentFailure, Runner

__all__ = ['Student', 'StudentFailure', 'InProcessBackend']

MAX_CALL_TEXT = 160


class InProcessBackend:
    """Runs the submission in this process: for trusted code (the reference) and benchmarks,
    never for submissions (see isolation.WorkerBackend).

    The modules are imported under a package name of their own, since this process
    has its own `assignment` package (the data helpers). Absolute sibling imports
    (`from activations import ...`) are cached by name, so one process serves one
    submission that uses them.
    """

    _count = itertools.count()

    def __init__(self, package_dir):
        self._tmp = tempfile.TemporaryDirectory(prefix='grader-inprocess-')
        copy = Path(self._tmp.name) / f'submission_{next(self._count)}'
        shutil.copytree(package_dir, copy)
        self.runner = Runner(copy)
        self.notes = []

    def take_output(self):
        """Output is not captured in process: it goes to this process's stdout."""
        return ''

    def close(self):
        self._tmp.cleanup()

    def facts(self):
        return {'worker_user': None, 'cgroup': False, 'disk_capped': False}

    def call(self, module, function, args, kwargs):
        self.notes += [note for note in self.runner.notes(module) if note not in self.notes]
        result = self.runner.call(module, function, copy_plain(args), copy_plain(kwargs))
        try:
            return copy_plain(check_plain(result))
        except UnsupportedType as error:
            raise StudentFailure('unsupported_type', f'{function} returned an unsupported type: {error}') from None


class Student:
    """The submission, as `student.<module>.<function>(...)` for every contract function.

    Inputs:
    - backend: object with call(module, function, args, kwargs) -> plain data
    """

    def __init__(self, backend):
        self._backend = backend
        self.calls = []          # descriptions of this test's calls, for the feedback
        self.output = []         # what the submission printed during this test
        for module, functions in MODULES.items():
            setattr(self, module, _Module(self, module, functions))

    def call(self, module, function, *args, **kwargs):
        """Call one contract function of the submission; returns plain data."""
        shown = [describe(a) for a in args] + [f'{k}={describe(v)}' for k, v in kwargs.items()]
        call = f'{function}({", ".join(shown)})'
        self.calls.append(call if len(call) <= MAX_CALL_TEXT else call[:MAX_CALL_TEXT - 5] + ' ...)')
        try:
            return self._backend.call(module, function, args, kwargs)
        finally:
            printed = self._backend.take_output()
            if printed:
                self.output.append(printed)

    def new_test(self, training=False):
        """Forget the last test's calls and output; training tests get the longer time limit per call."""
        self.calls.clear()
        self.output.clear()
        if hasattr(self._backend, 'new_test'):
            self._backend.new_test(training)


class _Module:
    """One module of the submission; its attributes are the contract's functions."""

    def __init__(self, student, module, functions):
        for function in functions:
            setattr(self, function, _bind(student, module, function))


def _bind(student, module, function):
    def call(*args, **kwargs):
        return student.call(module, function, *args, **kwargs)
    call.__name__ = function
    return call
