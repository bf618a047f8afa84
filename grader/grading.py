"""One grading run: load a submission, run the suites against it, build the results."""

import contextlib
import hashlib
import io
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import pytest
from pytest_jsonreport.plugin import JSONReport

from . import __version__, results
from . import plugin as fixtures
from .isolation import Limits, WorkerBackend, choose_sandbox
from .plugin import SUITES, GradingPlugin
from .student import InProcessBackend, Student, StudentFailure
from .submission import SubmissionError, prepare

SUITE_DIRS = {'public': ('public',), 'all': ('public', 'hidden')}


class HarnessError(Exception):
    """The grader itself failed: no result could be computed."""


class UnavailableBackend:
    """Stands in for a submission that could not be loaded: every call fails with why."""

    def __init__(self, reason):
        self.reason = reason
        self.notes = []

    def call(self, module, function, args, kwargs):
        raise StudentFailure('missing', self.reason)

    def take_output(self):
        return ''

    def facts(self):
        return {'worker_user': None, 'cgroup': False, 'disk_capped': False}

    def close(self):
        pass


def suite_paths(suite):
    """The test folders of a suite; HarnessError when one is not part of this copy."""
    paths = [SUITES / name for name in SUITE_DIRS[suite]]
    absent = [path.name for path in paths if not path.is_dir()]
    if absent:
        raise HarnessError(f'the {", ".join(absent)} suite is not part of this copy of the grader')
    return paths


def grade(source, suite='public', seed=None, hidden_visibility='after_published', sandbox='auto',
          limits=Limits(), progress=None):
    """Grade one submission.

    Inputs:
    - source: path of a folder or .zip
    - suite: 'public' or 'all'
    - seed: grading seed; by default derived from the submission's content, so a
      regrade of the same submission draws the same random inputs
    - hidden_visibility: Gradescope visibility of hidden tests
    - sandbox: 'auto', 'bwrap' or 'none' for the worker; 'inprocess' runs the code in
      this process, for trusted code only (benchmarks)
    - limits: isolation.Limits of the worker
    - progress: function called with (tests done, tests in all, name of the test) as tests finish

    Returns:
    - the Gradescope results dict
    """
    paths = suite_paths(suite)
    sandbox = sandbox if sandbox == 'inprocess' else choose_sandbox(sandbox)
    with tempfile.TemporaryDirectory(prefix='grader-') as workdir:
        notes, read_error = (), None
        try:
            submission = prepare(source, workdir)
            sha256, notes = submission.sha256, submission.notes
            backend = (InProcessBackend(submission.root) if sandbox == 'inprocess'
                       else WorkerBackend(submission.root, limits, sandbox))
        except SubmissionError as error:
            read_error = str(error)
            backend, sha256 = UnavailableBackend(f'the submission could not be read: {error}'), _file_sha256(source)
        if seed is None:
            seed = int(sha256[:8], 16)
        try:
            report = run_pytest(paths, GradingPlugin(Student(backend), seed, hidden_visibility, progress))
        finally:
            backend.close()
    return results.build(report, (*notes, *backend.notes), {
        'sha256': sha256, 'seed': seed, 'suite': suite, 'grader_version': __version__,
        'read_error': read_error, 'sandbox': sandbox, **backend.facts(),
        'python': platform.python_version(), 'numpy': np.__version__,
    })


def run_pytest(paths, plugin):
    """Run the suites with the grading plugin; returns pytest-json-report's report."""
    json_report = JSONReport()
    args = [*map(str, paths), '--rootdir', str(SUITES), '--confcutdir', str(SUITES),
            '-c', str(SUITES / 'pytest.ini'), '--import-mode=importlib',
            '-p', 'no:cacheprovider', '-p', 'no:warnings', '-qq', '--tb=short', '--no-header',
            '--json-report-file=none', '--json-report-omit', 'collectors', 'keywords', 'streams',
            'log', 'traceback', 'warnings']
    # pytest's own terminal output matters only when the suites themselves break.
    terminal = io.StringIO()
    with contextlib.redirect_stdout(terminal), contextlib.redirect_stderr(terminal):
        code = pytest.main(args, plugins=[json_report, plugin, fixtures])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or json_report.report is None:
        raise HarnessError(f'the test suites did not run (pytest exit code {int(code)}):\n'
                           f'{terminal.getvalue()[-4000:]}')
    return json_report.report


def submission_sha256(source):
    """The sha256 a grading of `source` records: of its graded files, or of the file itself
    when it cannot be read as a submission."""
    with tempfile.TemporaryDirectory(prefix='grader-hash-') as workdir:
        try:
            return prepare(source, workdir).sha256
        except SubmissionError:
            return _file_sha256(source)


def _file_sha256(path):
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return hashlib.sha256(os.fsencode(str(path))).hexdigest()
    with open(path, 'rb') as f:
        return hashlib.file_digest(f, 'sha256').hexdigest()


def write_json_atomically(data, path):
    """Write JSON to path through a temporary file, so a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    tmp.write_text(json.dumps(data, indent=2) + '\n', encoding='utf-8')
    os.replace(tmp, path)
