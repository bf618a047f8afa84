"""One grading run: load a submission, run the assignment's suites against it, build the results."""

import contextlib
import hashlib
import io
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import pytest
from pytest_jsonreport.plugin import JSONReport

from . import __version__
from . import plugin as fixtures
from .intake.submission import SubmissionError, prepare
from .output import gradescope
from .plugin import GradingPlugin
from .sandbox.backends import InProcessBackend, UnavailableBackend
from .sandbox.confinement import choose_sandbox
from .sandbox.isolation import Limits, WorkerBackend
from .seam import Student

SUITE_DIRS = {'public': ('public',), 'all': ('public', 'hidden')}


class HarnessError(Exception):
    """The grader itself failed: no result could be computed."""


def suite_paths(spec, suite):
    """The test folders of a suite; HarnessError when one is not part of this copy."""
    paths = [spec.suites / name for name in SUITE_DIRS[suite]]
    absent = [path.name for path in paths if not path.is_dir()]
    if absent:
        raise HarnessError(f'the {", ".join(absent)} suite is not part of this copy of the grader')
    return paths


def grade(source, spec, suite='public', seed=None, hidden_visibility='after_published', sandbox='auto',
          limits=Limits(), progress=None):
    """Grade one submission.

    Inputs:
    - source: path of a folder, a .zip or a .ipynb
    - spec: the engine.spec.Assignment it is a submission to
    - suite: 'public' or 'all'
    - seed: grading seed; by default derived from the submission's content, so a
      regrade of the same submission draws the same random inputs
    - hidden_visibility: Gradescope visibility of hidden tests
    - sandbox: 'auto', 'bwrap' or 'none' for the worker; 'inprocess' runs the code in
      this process, for trusted code only (benchmarks)
    - limits: sandbox.isolation.Limits of the worker
    - progress: function called with (tests done, tests in all, name of the test) as tests finish

    Returns:
    - the Gradescope results dict
    """
    paths = suite_paths(spec, suite)
    sandbox = sandbox if sandbox == 'inprocess' else choose_sandbox(sandbox)
    with tempfile.TemporaryDirectory(prefix='grader-') as workdir:
        notes, read_error = (), None
        try:
            submission = prepare(source, workdir, spec)
            sha256, notes = submission.sha256, submission.notes
            backend = (InProcessBackend(submission.root) if sandbox == 'inprocess'
                       else WorkerBackend(submission.root, spec.package, limits, sandbox))
        except SubmissionError as error:
            read_error = str(error)
            backend, sha256 = UnavailableBackend(f'the submission could not be read: {error}'), _file_sha256(source)
        if seed is None:
            seed = int(sha256[:8], 16)
        plugin = GradingPlugin(spec, Student(backend, spec.modules), seed, hidden_visibility, progress,
                               complete=suite == 'all')
        try:
            report = run_pytest(spec, paths, plugin)
        finally:
            backend.close()
        if getattr(backend, 'fault', None):
            raise HarnessError(backend.fault)
    return gradescope.build(report, spec, (*notes, *backend.notes), plugin.leaderboard, {
        'sha256': sha256, 'seed': seed, 'suite': suite, 'grader_version': __version__,
        'read_error': read_error, 'sandbox': sandbox, **backend.facts(),
        'python': platform.python_version(), 'numpy': np.__version__,
    })


def run_pytest(spec, paths, plugin):
    """Run the suites with the grading plugin; returns pytest-json-report's report."""
    json_report = JSONReport()
    args = [*map(str, paths), '--rootdir', str(spec.suites), '--confcutdir', str(spec.suites),
            '-c', str(spec.suites / 'pytest.ini'), '--import-mode=importlib',
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


def submission_sha256(source, spec):
    """The sha256 a grading of `source` records: of its graded files, or of the file itself
    when it cannot be read as a submission."""
    with tempfile.TemporaryDirectory(prefix='grader-hash-') as workdir:
        try:
            return prepare(source, workdir, spec).sha256
        except SubmissionError:
            return _file_sha256(source)


def _file_sha256(path):
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return hashlib.sha256(os.fsencode(str(path))).hexdigest()
    with open(path, 'rb') as f:
        return hashlib.file_digest(f, 'sha256').hexdigest()
