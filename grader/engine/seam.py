"""The seam: the one object through which every test reaches a submission.

Tests write `student.<module>.<function>(...)`, one attribute per module of the
assignment's spec. Arguments go in as plain data and copies; results come back as plain
data or not at all: every failure of the student's code raises StudentFailure, whose
outcome and message the feedback is built from. What runs the code (a sandboxed worker,
or this process for trusted code) is the backend's business (sandbox/backends.py).
"""

from .sandbox.worker.plain import describe
from .sandbox.worker.runner import Failure as StudentFailure

__all__ = ['Student', 'StudentFailure']

MAX_CALL_TEXT = 160


class Student:
    """The submission, as `student.<module>.<function>(...)` for every contract function.

    Inputs:
    - backend: see sandbox/backends.py
    - modules: the spec's Modules
    """

    def __init__(self, backend, modules):
        self._backend = backend
        self.calls = []          # descriptions of this test's calls, for the feedback
        self.output = []         # what the submission printed during this test
        for module in modules:
            setattr(self, module.name, _Module(self, module.name, module.functions))

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

    def forget(self):
        """Make the next call go to a fresh worker, which remembers nothing of the calls before:
        what it answers depends on its arguments alone."""
        self._backend.forget()

    def new_test(self, training=False):
        """Forget the last test's calls and output; training tests get the longer time limit per call."""
        self.calls.clear()
        self.output.clear()
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
