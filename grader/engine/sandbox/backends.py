"""What runs a submission's calls for the `student` seam: the protocol, and two small backends.

A backend has
- call(module, function, args, kwargs): the function's result as plain data, or a
  Failure (worker/runner.py) that says what went wrong, for the student;
- take_output(): what the submission printed since the last call;
- new_test(training): a test begins (training tests get the longer time limit);
- notes: what the submission's modules said about how they were loaded;
- facts(): how the submission was confined, for the results' extra_data;
- close(): everything it started is stopped and removed.

WorkerBackend (isolation.py) is the one for submissions; these two run trusted code in
this process, and stand in for a submission that could not be read.
"""

import itertools
import shutil
import tempfile
from pathlib import Path

from .worker.plain import UnsupportedType, check_plain, copy_plain
from .worker.runner import Failure, Runner

NO_CONFINEMENT = {'worker_user': None, 'cgroup': False, 'disk_capped': False}


class InProcessBackend:
    """Runs a submission in this process: for trusted code (the reference) and benchmarks,
    never for submissions.

    The modules are imported under a package name of their own (`submission_<n>`), since
    this process may have a package of the assignment's name already. Absolute sibling
    imports (`from activations import ...`) are cached by name, so one process serves one
    submission that uses them.
    """

    _count = itertools.count()

    def __init__(self, package_dir):
        self._tmp = tempfile.TemporaryDirectory(prefix='grader-inprocess-')
        copy = Path(self._tmp.name) / f'submission_{next(self._count)}'
        shutil.copytree(package_dir, copy)
        self.runner = Runner(copy)
        self.notes = []

    def call(self, module, function, args, kwargs):
        self.notes += [note for note in self.runner.notes(module) if note not in self.notes]
        result = self.runner.call(module, function, copy_plain(args), copy_plain(kwargs))
        try:
            return copy_plain(check_plain(result))
        except UnsupportedType as error:
            raise Failure('unsupported_type', f'{function} returned an unsupported type: {error}') from None

    def take_output(self):
        """Output is not captured in process: it goes to this process's stdout."""
        return ''

    def new_test(self, training):
        pass

    def forget(self):
        pass

    def facts(self):
        return NO_CONFINEMENT

    def close(self):
        self._tmp.cleanup()


class UnavailableBackend:
    """Stands in for a submission that could not be read: every call fails with why."""

    def __init__(self, reason):
        self.reason = reason
        self.notes = []

    def call(self, module, function, args, kwargs):
        raise Failure('missing', self.reason)

    def take_output(self):
        return ''

    def new_test(self, training):
        pass

    def forget(self):
        pass

    def facts(self):
        return NO_CONFINEMENT

    def close(self):
        pass
