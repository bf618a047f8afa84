"""The pytest plugin that turns test suites into a grade.

Every test carries its points and the contract functions it exercises; its part is the
part of its first tag, in the assignment's spec:

    @pytest.mark.points(2, 'forward')
    def test_forward_on_fixed_inputs(student): ...

A test without points, or tagged with a name that is not a function of the spec, stops
collection, and so do the tests of a part whose points do not add up to the spec's when
every suite runs: a rubric with holes is a harness error, not a student's. Tests of the
parts an offering leaves out are deselected. After each test the plugin records,
through pytest-json-report's metadata, the points, tags, part, visibility, outcome and
the feedback a student reads.
"""

import hashlib
import math
import re
from pathlib import Path

import numpy as np
import pytest

from .checks import Consequence, Mismatch
from .sandbox.isolation import SandboxError
from .seam import StudentFailure
from .text import clean

SHOWN_CALLS = 3
SHOWN_OUTPUT = 2048
MAX_FEEDBACK = 6000       # characters of one test's feedback: keeps a results file within a few MB
RUN = pytest.StashKey()
OUTCOME = pytest.StashKey[str]()
FEEDBACK = pytest.StashKey[str]()
ERROR = pytest.StashKey[BaseException]()


class GradingPlugin:
    """Holds what one grading run shares: the spec, the student seam, the seed, visibility rules.

    Inputs:
    - spec: the engine.spec.Assignment under grade
    - student: the Student seam for the submission under grade
    - seed: the grading seed (random inputs of the hidden tests derive from it)
    - hidden_visibility: Gradescope visibility of hidden tests
    - progress: function (tests done, tests in all, test name), called as each test ends
    - complete: whether every suite runs, so that each part's tests must add up to its points
    """

    def __init__(self, spec, student, seed, hidden_visibility='after_published', progress=None, complete=False):
        self.spec = spec
        self.student = student
        self.seed = seed
        self._hidden_visibility = hidden_visibility
        self._progress = progress
        self._complete = complete
        self._names = {}
        self.leaderboard = []         # Gradescope leaderboard entries the tests recorded

    def pytest_configure(self, config):
        config.addinivalue_line('markers', 'points(n, *functions): points of a test and the '
                                           'contract functions it exercises')
        config.addinivalue_line('markers', 'training: the test trains networks; its calls get the '
                                           'training time limit')
        config.stash[RUN] = self

    def pytest_collection_modifyitems(self, config, items):
        problems = [problem for item in items for problem in self._rubric_problems(item)]
        left_out = [item for item in items if not problems and item.get_closest_marker('points').args[1]
                    in self.spec.left_out]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if item not in left_out]
        if self._complete and not problems:
            problems = self._unbalanced_parts(items)
        if problems:
            raise pytest.UsageError('the test suites have rubric errors:\n' + '\n'.join(problems))
        self._names = {item.nodeid: _test_name(item) for item in items}

    def _rubric_problems(self, item):
        mark = item.get_closest_marker('points')
        if mark is None:
            return [f'{item.nodeid}: no @pytest.mark.points(n, *functions)']
        if not mark.args or not isinstance(mark.args[0], (int, float)) or mark.args[0] <= 0:
            return [f'{item.nodeid}: points must be a positive number first']
        unknown = [tag for tag in mark.args[1:] if self.spec.part_of(tag) is None and tag not in self.spec.left_out]
        if len(mark.args) < 2 or unknown:
            return [f'{item.nodeid}: tags must name functions of the spec (unknown: {unknown or "none given"})']
        return []

    def _unbalanced_parts(self, items):
        """Parts whose tests do not add up to the spec's points."""
        totals = {part.name: 0.0 for part in self.spec.parts}
        for item in items:
            mark = item.get_closest_marker('points')
            totals[self.spec.part_of(mark.args[1]).name] += mark.args[0]
        return [f'{part.name}: its tests are worth {totals[part.name]:g} points, the spec gives it {part.points:g}'
                for part in self.spec.parts if not math.isclose(totals[part.name], part.points, abs_tol=1e-9)]

    def pytest_runtest_logfinish(self, nodeid):
        if self._progress is not None:
            done = list(self._names).index(nodeid) + 1 if nodeid in self._names else 0
            self._progress(done, len(self._names), self._names.get(nodeid, nodeid))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        self.student.new_test(training=item.get_closest_marker('training') is not None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        # The feedback is all a failure needs; pytest.fail(pytrace=False) spares pytest
        # from rendering a source-annotated traceback (about 0.5 s per failed test).
        outcome = yield
        if isinstance(outcome.exception, SandboxError):
            # The grader's fault: no test after this one is run, and the grading reports it (grading.py).
            item.session.shouldstop = str(outcome.exception)
        if outcome.exception is not None:
            item.stash[ERROR] = outcome.exception
            item.stash[OUTCOME], item.stash[FEEDBACK] = _explain(outcome.exception)
            outcome.force_exception(pytest.fail.Exception(item.stash[FEEDBACK], pytrace=False))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        if report.failed and call.excinfo is not None and OUTCOME not in item.stash:
            item.stash[ERROR] = call.excinfo.value
            item.stash[OUTCOME], item.stash[FEEDBACK] = _explain(call.excinfo.value)
        if report.failed and call.when == 'call':
            item.stash[FEEDBACK] = clean(item.stash[FEEDBACK] + self._context(item.stash[OUTCOME]), MAX_FEEDBACK)

    def _context(self, outcome):
        """The calls of the failed test and what the submission printed, for its feedback."""
        context = ''
        if self.student.calls and outcome in ('wrong', 'error', 'unsupported_type', 'grader_error',
                                               'timeout', 'crash', 'memory'):
            context += '\nCalled: ' + '; '.join(self.student.calls[-SHOWN_CALLS:])
        printed = ''.join(self.student.output)
        if printed:
            cut = f'\n[... {len(printed) - SHOWN_OUTPUT} more characters]' if len(printed) > SHOWN_OUTPUT else ''
            context += f'\nYour code printed:\n{printed[:SHOWN_OUTPUT]}{cut}'
        return context

    def pytest_json_runtest_metadata(self, item, call):
        if call.when != 'teardown':
            return {}
        mark = item.get_closest_marker('points')
        hidden = self.spec.suites / 'hidden' in Path(item.fspath).parents
        return {
            'name': _test_name(item),
            'points': mark.args[0],
            'tags': list(mark.args[1:]),
            'part': self.spec.part_of(mark.args[1]).name,
            'visibility': self._hidden_visibility if hidden else 'visible',
            'outcome': item.stash.get(OUTCOME, 'passed'),
            'feedback': clean(item.stash.get(FEEDBACK, ''), MAX_FEEDBACK),
            'faults': list(getattr(item.stash.get(ERROR, None), 'faults', ())),
            'diagnoses': diagnoses(item.stash.get(ERROR, None), mark.args[1]),
        }


@pytest.fixture(scope='session')
def student(request):
    """The submission under grade: student.<module>.<function>(...)."""
    return request.config.stash[RUN].student


@pytest.fixture(scope='session')
def grading_seed(request):
    """The seed of this grading run, recorded in the results."""
    return request.config.stash[RUN].seed


@pytest.fixture(scope='session')
def leaderboard(request):
    """record(name, value, order='desc'): put a number on Gradescope's leaderboard, e.g. a
    held-out accuracy; order 'desc' ranks higher values first."""
    entries = request.config.stash[RUN].leaderboard

    def record(name, value, order='desc'):
        entries[:] = [entry for entry in entries if entry['name'] != name]
        entries.append({'name': str(name), 'value': float(value), 'order': order})
    return record


@pytest.fixture
def rng(request):
    """A generator seeded by the grading seed and the test's name: reproducible per test."""
    return np.random.default_rng([request.config.stash[RUN].seed, _stable_hash(request.node.nodeid)])


def _explain(error):
    """(outcome, feedback) for the exception that failed a test."""
    if isinstance(error, Consequence):
        return 'consequence', str(error)
    if isinstance(error, StudentFailure):
        return error.outcome, error.message
    if isinstance(error, Mismatch):
        return 'wrong', str(error)
    if isinstance(error, AssertionError):
        return 'wrong', str(error).split('\nassert ')[0] or 'a check failed'
    return 'grader_error', (f'The grader could not check this result ({type(error).__name__}: {error}); '
                            'it probably has an unexpected type or shape.')


def diagnoses(error, function):
    """The diagnoses of the exception that failed a test of `function`, as data:
    [{'function', 'key', 'text'}], the key the same wherever the mistake is recognised.

    A result that only follows from another function's mistake has none: that function's
    own tests diagnose it.
    """
    if isinstance(error, Consequence):
        return []
    if isinstance(error, Mismatch):
        return [{'function': function, 'key': cause.key, 'text': cause.text} for cause in error.causes]
    if isinstance(error, StudentFailure) and error.outcome == 'error' and error.exception_types:
        raised = error.exception_types[0]
        line = next((line for line in error.message.split('\n') if line.startswith(raised)), raised)
        return [{'function': function, 'key': f'{function} raises {raised}', 'text': line}]
    return []


def _test_name(item):
    """The first line of the test's docstring, or its function name, plus its parameters."""
    doc = (item.function.__doc__ or '').strip().split('\n')[0]
    name = doc or item.originalname.removeprefix('test_').replace('_', ' ')
    parameters = re.search(r'\[(.*)\]$', item.name)
    return f'{name} [{parameters.group(1)}]' if parameters else name


def _stable_hash(text):
    """A hash of text that is the same in every process (unlike hash())."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], 'big')
