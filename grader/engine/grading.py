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
from .sandbox.isolation import Limits, SandboxError, WorkerBackend
from .sandbox.processes import children
from .seam import Student

SUITE_DIRS = {'public': ('public',), 'all': ('public', 'hidden')}


class HarnessError(Exception):
    """The grader itself failed: no result could be computed."""


class IsolationError(Exception):
    """A submission's code could read what it must not here: grading was refused."""


def suite_paths(spec, suite):
    """The test folders of a suite; HarnessError when one is not part of this copy."""
    paths = [spec.suites / name for name in SUITE_DIRS[suite]]
    absent = [path.name for path in paths if not path.is_dir()]
    if absent:
        raise HarnessError(f'the {", ".join(absent)} suite is not part of this copy of the grader')
    return paths


def limits_of(spec, **changes):
    """The worker's Limits for a homework: the defaults, the spec's training_timeout, and `changes`."""
    return Limits(**{'training_timeout': spec.training_timeout, **changes})


def grade(source, spec, suite='public', seed=None, hidden_visibility='after_published', sandbox='auto',
          limits=None, progress=None, others=None):
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
    - limits: sandbox.isolation.Limits of the worker; None for the defaults with the spec's
      training_timeout (limits_of)
    - progress: function called with (tests done, tests in all, name of the test) as tests finish
    - others: {path: what it is} of more that the submission must not read (a batch's
      submissions and results); given, as with suite 'all', grading stops when it could

    Returns:
    - the Gradescope results dict

    Raises HarnessError when no worker can run (nothing is scored), and IsolationError when
    the worker could read a secret, the hidden tests or a batch are graded, and the sandbox
    was not explicitly 'none'.
    """
    paths = suite_paths(spec, suite)
    limits = limits or limits_of(spec)
    requested, sandbox = sandbox, sandbox if sandbox == 'inprocess' else choose_sandbox(sandbox)
    with tempfile.TemporaryDirectory(prefix='grader-') as workdir:
        notes, read_error, isolation = (), None, None
        secrets = {**secret_paths(spec, workdir, sandbox), **(others or {})}
        try:
            submission = prepare(source, workdir, spec)
            sha256, notes = submission.sha256, submission.notes
            backend = (InProcessBackend(submission.root) if sandbox == 'inprocess'
                       else WorkerBackend(submission.root, spec.package, limits, sandbox,
                                          hidden=covered(spec, secrets)))
        except SandboxError as error:
            raise HarnessError(str(error)) from None
        except SubmissionError as error:
            read_error = str(error)
            backend, sha256 = UnavailableBackend(f'the submission could not be read: {error}'), _file_sha256(source)
        if seed is None:
            seed = int(sha256[:8], 16)
        plugin = GradingPlugin(spec, Student(backend, spec.modules), seed, hidden_visibility, progress,
                               complete=suite == 'all')
        try:
            if isinstance(backend, WorkerBackend):
                isolation = check_isolation(backend, secrets, requested, strict=suite == 'all' or bool(others))
            report = run_pytest(spec, paths, plugin)
        finally:
            backend.close()
        if getattr(backend, 'fault', None):
            raise HarnessError(backend.fault)
    return gradescope.build(report, spec, (*notes, *backend.notes), plugin.leaderboard, {
        'sha256': sha256, 'seed': seed, 'suite': suite, 'grader_version': __version__,
        'read_error': read_error, 'sandbox': sandbox, 'isolation': isolation, **backend.facts(),
        'python': platform.python_version(), 'numpy': np.__version__,
    })


def secret_paths(spec, workdir, sandbox):
    """{path: what it is} of what a submission's code must not read in a grading: the
    reference, the hidden tests, the grader's own copy of the submission and, where the
    worker shares the grader's pids (without bubblewrap), the grader's environment."""
    secrets = {spec.suites / 'hidden': 'the hidden tests', Path(workdir): "the grader's copy of the submission"}
    if spec.root is not None:
        secrets[spec.root / spec.solution] = 'the reference solution'
    if sandbox == 'none':
        # Under bubblewrap the worker has pids of its own, where this would name one of its processes.
        secrets[Path(f'/proc/{os.getpid()}/environ')] = "the grader's environment"
    return secrets


def covered(spec, secrets):
    """What a worker's own mount namespace covers, where the grader can give it one: the
    assignment's folders whole (the reference and hidden tests, and the tools, tests and
    history beside them), and every secret."""
    return [path for path in (spec.root, spec.folder, *secrets) if path is not None]


def check_isolation(backend, secrets, requested, strict):
    """Ask a fresh worker, in its exact confinement and before any code of the submission
    has run, which of `secrets` ({path: what}) it can read.

    Returns the results' record of it: {'exposed': ['what (path)', ...], 'asked_for_no_sandbox': bool}.
    Raises HarnessError when no worker can run at all, and IsolationError when something
    is exposed, `strict` holds and the sandbox `requested` was not 'none'."""
    try:
        readable = set(backend.exposed(list(map(str, secrets))))
    except SandboxError:
        raise HarnessError(backend.fault) from None
    exposed = [f'{what} ({path})' for path, what in secrets.items() if str(path) in readable]
    if exposed and strict and requested != 'none':
        raise IsolationError(_refusal(exposed, backend))
    return {'exposed': exposed, 'asked_for_no_sandbox': requested == 'none'}


def _refusal(exposed, backend):
    """Why grading stops, and what to do about it."""
    if backend.confinement.sandbox == 'bwrap':
        sandbox, remedies = 'under bubblewrap', ['keep them out of the folders bubblewrap shows the worker: the system, '
                                                 'the virtual environment and the Python it was made from']
    else:
        sandbox, remedies = 'without bubblewrap', [
            'install bubblewrap (apt-get install bubblewrap) and, on Ubuntu 24.04, let it create namespaces: '
            'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0']
        if os.geteuid() != 0:
            remedies.append('run the grader as root: the worker then runs as nobody, in a mount namespace that '
                            'hides these')
        remedies += ["make these unreadable to the worker's user (chmod -R go-rwx FOLDER)",
                     'in a batch, grade one submission at a time (--jobs 1)']
    return '\n'.join([f"a submission's code could read these here ({sandbox}, the worker running as {backend.runs_as}):",
                      *(f'  - {item}' for item in exposed),
                      'so neither the hidden tests nor a batch are graded here. To grade safely:',
                      *(f'  - {remedy}' for remedy in remedies),
                      'or pass --sandbox none to grade without isolation (the results record it).'])


def check_batch(spec, sandbox, limits, others, alongside):
    """Probe, once before a batch grades anything, what its workers could read: what a
    grading's could, `others` ({path: what}: the batch's folders) and, with `alongside`,
    the files of a submission graded at the same time. Raises as check_isolation does."""
    resolved = choose_sandbox(sandbox)
    with tempfile.TemporaryDirectory(prefix='grader-') as workdir:
        empty = Path(workdir) / 'submission'
        empty.mkdir()
        secrets = {**secret_paths(spec, workdir, resolved), **others}
        hidden = covered(spec, secrets)
        neighbour = WorkerBackend(empty, spec.package, limits, resolved, hidden=hidden) if alongside else None
        backend = WorkerBackend(empty, spec.package, limits, resolved, hidden=hidden)
        try:
            if neighbour is not None:
                secrets.update(_ways_into(neighbour))
            check_isolation(backend, secrets, sandbox, strict=True)
        finally:
            backend.close()
            if neighbour is not None:
                neighbour.close()


def _ways_into(backend):
    """{path: what} through which another worker could reach the files of `backend`'s, started
    here: its folder and, where workers share the grader's pids (no bubblewrap), /proc's
    view of its working folder."""
    before = set(children(os.getpid()))
    try:
        backend.exposed([])
    except SandboxError:
        raise HarnessError(backend.fault) from None
    ways = {backend.confinement.home: 'the files of a submission graded alongside'}
    if backend.confinement.sandbox == 'none':
        for pid in set(children(os.getpid())) - before:
            ways[Path(f'/proc/{pid}/cwd')] = 'the files of a submission graded alongside, through its process'
    return ways


def _pytest_args(spec, paths):
    """pytest's arguments for the suites in `paths`, read with no configuration but theirs."""
    return [*map(str, paths), '--rootdir', str(spec.suites), '--confcutdir', str(spec.suites),
            '-c', str(spec.suites / 'pytest.ini'), '--import-mode=importlib',
            '-p', 'no:cacheprovider', '-p', 'no:warnings', '-qq', '--tb=short', '--no-header']


class _Rubric:
    """Collects the points of each part's tests, running none of them."""

    def __init__(self, spec):
        self.spec, self.points = spec, {part.name: 0.0 for part in spec.parts}

    def pytest_collection_modifyitems(self, items):
        for item in items:
            mark = item.get_closest_marker('points')
            part = self.spec.part_of(mark.args[1]) if mark and len(mark.args) > 1 else None
            if part is not None:
                self.points[part.name] += mark.args[0]


def points_by_part(spec, suite='public'):
    """{part name: points} of a suite's tests in each part of the spec, read from their marks."""
    rubric = _Rubric(spec)
    terminal = io.StringIO()
    with contextlib.redirect_stdout(terminal), contextlib.redirect_stderr(terminal):
        code = pytest.main([*_pytest_args(spec, suite_paths(spec, suite)), '--collect-only'],
                           plugins=[rubric, fixtures])
    if code != pytest.ExitCode.OK:
        raise HarnessError(f'the test suites could not be collected (pytest exit code {int(code)}):\n'
                           f'{terminal.getvalue()[-4000:]}')
    return {name: gradescope.points(total) for name, total in rubric.points.items()}


def run_pytest(spec, paths, plugin):
    """Run the suites with the grading plugin; returns pytest-json-report's report."""
    json_report = JSONReport()
    args = [*_pytest_args(spec, paths), '--json-report-file=none', '--json-report-omit', 'collectors', 'keywords',
            'streams', 'log', 'traceback', 'warnings']
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
