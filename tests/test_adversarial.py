"""Hostile and broken submissions at run time: each costs only what it should, grading
ends in bounded time, and nothing escapes the limits of the submission as a whole.

Cases run with bubblewrap and without it, except those marked NEEDS_BWRAP: without
bubblewrap, a worker that cannot drop to an unprivileged user (as on a machine whose
Python lives in root's home) can read the disk and signal the grader, and only the
sandbox stops that. The cases on whole-submission limits need cgroups, which root can
create on this project's machines.
"""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.engine.output.terminal import Progress
from grader.engine.sandbox import confinement
from grader.engine.sandbox.cgroups import Cgroup
from grader.engine.sandbox.confinement import bwrap_available
from grader.engine.sandbox.isolation import Limits, _Clock, _write_before
from grader.spec import SPEC
from tests import hostile
from tests.submissions import PARTS_1_TO_3, PARTS_1_TO_5, ROOT, build, failed, grade

# Short limits for calls that should be instant; training calls keep room for a loaded machine.
FAST = Limits(call_timeout=2, training_timeout=30, import_timeout=5, budget=120)
SANDBOXES = ['bwrap', 'none']
PART_1 = SPEC.parts[0].name
CNN_PART = SPEC.part_of('cnn_fit')
RELU_BODY = hostile.RELU


@pytest.fixture(scope='module', autouse=True)
def bubblewrap_and_cgroups_are_available():
    assert bwrap_available(), 'these tests need bubblewrap: apt-get install bubblewrap'
    group = Cgroup.create(2 ** 30, 64)
    assert group is not None, 'these tests need cgroups: run them as root on a machine with cgroup v1 or v2'
    group.remove()


def graded(folder, sandbox, suite='all', limits=FAST, seed=None, spec=PARTS_1_TO_3):
    """Grade under these limits, on parts 1-3 by default (no training): the hostile code below
    sits in their modules, and the tests of the other parts would only add seconds."""
    start = time.monotonic()
    results = grade(folder, suite, spec, seed=seed, sandbox=sandbox, limits=limits)
    results['wall'] = time.monotonic() - start
    return results


def part_score(results, part):
    return sum(t['score'] for t in results['tests'] if t['extra_data']['part'] == part)


def kept(results, part):
    """Whether a part kept every point its tests in these results are worth."""
    return part_score(results, part) == pytest.approx(sum(t['max_score'] for t in results['tests']
                                                          if t['extra_data']['part'] == part))


def outcomes(results, function):
    return {t['extra_data']['outcome'] for t in failed(results) if function in t['tags']}


def lost_functions(results):
    return {tag for t in failed(results) for tag in t['tags']}


# Hangs: each costs the tests that reach the hanging code, and names where it hung.

@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_endless_loop_at_import(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', append={'losses.py': 'while True:\n    pass\n'})
    results = graded(folder, sandbox)
    assert kept(results, PART_1), 'activations import fine and keep their points'
    assert results['score'] == pytest.approx(part_score(results, PART_1)), 'every other module imports losses.py'
    assert 'importing losses.py did not finish within 5 s' in results['output']
    assert results['wall'] < 60, 'each hanging module costs one import timeout, not one per test'


# Functions of which a hang in softmax can cost points: softmax and everything that calls it.
REACH_SOFTMAX = {'softmax', 'gradCE', 'feedforward', 'calculate_loss', 'backprop', 'predict', 'fit_model',
                 'deep_feedforward', 'deep_loss', 'deep_backprop', 'deep_predict', 'deep_fit',
                 'cnn_loss_and_grads', 'cnn_fit', 'mlp_loss_and_grads', 'mlp_predict', 'mlp_fit',
                 'tuned_hyperparameters'}


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_a_helper_that_never_returns_costs_only_the_tests_that_reach_it(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', replace=[('losses.py', '    classes = np.ascontiguousarray(x.T)\n',
                                                '    while True:\n        pass\n')])
    results = graded(folder, sandbox, limits=Limits(call_timeout=10, training_timeout=30))
    assert results['wall'] < 60
    # Tests of one function fail only for functions that reach softmax.
    assert {t['tags'][0] for t in failed(results) if len(t['tags']) == 1} <= REACH_SOFTMAX
    assert kept(results, PART_1) and kept(results, '3. Gradients of a two-layer ReLU network')
    messages = [t['output'].split('\n')[0] for t in failed(results)]
    assert sum('timed out after 10 s while running softmax (losses.py, line' in m for m in messages) == 1
    assert all('softmax (losses.py, line' in m for m in messages), messages
    assert sum(m.startswith('not run: it reaches softmax') for m in messages) == len(messages) - 1


def test_a_training_function_that_never_returns_costs_only_its_training_tests(tmp_path):
    folder = build(tmp_path / 'sub', replace=[('two_layer.py', '    for i in range(num_passes):\n',
                                                '    while True:\n        pass\n    for i in range(num_passes):\n')])
    results = graded(folder, 'bwrap', limits=Limits(call_timeout=10, training_timeout=30), spec=PARTS_1_TO_5)
    assert results['wall'] < 60
    assert all('fit_model' in t['tags'] for t in failed(results))
    timed_out = [t['output'] for t in failed(results) if t['output'].startswith('timed out')]
    assert len(timed_out) == 1 and 'while running fit_model (two_layer.py, line' in timed_out[0]


def test_the_budget_bounds_a_submission_whose_every_function_hangs(tmp_path):
    hang = '    while True:\n        pass\n'
    folder = build(tmp_path / 'sub', replace=[('activations.py', RELU_BODY, hang),
                                               ('activations.py', '    return (x > 0).astype(np.float64)\n', hang),
                                               ('activations.py', '    return np.tanh(x)\n', hang)])
    limits = Limits(call_timeout=1, training_timeout=1, import_timeout=5, budget=2.5)
    results = graded(folder, 'bwrap', limits=limits)
    assert results['wall'] < 30
    assert any('used up its whole time budget of 2.5 s' in t['output'] for t in failed(results))


def test_a_worker_that_stops_reading_cannot_block_the_grader(tmp_path):
    folder = build(tmp_path / 'sub', append={'two_layer.py': hostile.BLOCKING_THREAD})
    results = graded(folder, 'bwrap', limits=Limits(call_timeout=2, training_timeout=4, import_timeout=5, budget=40),
                     spec=PARTS_1_TO_5)
    assert results['wall'] < 90
    before = [t for t in results['tests'] if t['extra_data']['nodeid'].startswith('public/test_activations')]
    assert all(t['status'] == 'passed' for t in before), 'tests before two_layer.py is imported keep their points'
    blamed = [t['output'] for t in failed(results) if 'while running' in t['output'] or 'one place per thread' in t['output']]
    assert all('_hold_the_gil' in output for output in blamed if 'one place per thread' in output)


def test_a_write_to_a_worker_that_never_reads_times_out():
    read, write = os.pipe()
    os.set_blocking(write, False)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        _write_before(write, bytes(2 ** 20), _Clock(0.5, time.monotonic))
    assert time.monotonic() - start < 2
    os.close(read)
    os.close(write)


def test_make_grade_shows_which_test_is_running():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    screen = Terminal()
    progress = Progress(screen)
    progress(3, 81, 'softmax of a batch of one')
    progress.finish()
    assert 'Grading: 3/81 tests' in screen.getvalue() and 'softmax of a batch of one' in screen.getvalue()


# Files named like the grader's own

@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_student_modules_named_like_the_workers_files_are_the_students(tmp_path, sandbox):
    folder = build(tmp_path / 'sub')
    for name in ('runner', 'codec', 'worker'):
        (folder / f'{name}.py').write_text(f'def scale():\n    return 1.0\n\n\nNAME = {name!r}\n')
    two_layer = folder / 'two_layer.py'
    two_layer.write_text('from codec import scale as _scale\nfrom runner import NAME as _runner\nimport worker as _worker\n'
                         + two_layer.read_text().replace('    return x @ W + b\n', '    return (x @ W + b) * _scale()\n'))
    results = graded(folder, sandbox)
    assert results['score'] == results['extra_data']['max_score']


# Whole-submission limits: memory, processes and disk of all its processes together.

FOUR_CHILDREN = '''    import os, time
    pids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            block = np.ones(50_000_000)          # 400 MB, every page touched
            time.sleep(2)
            os._exit(0 if block.sum() else 1)
        pids.append(pid)
    ok = sum(os.waitpid(pid, 0)[1] == 0 for pid in pids)
    return h.T @ gradCE(target, prediction) + (ok < 4)
'''

MANY_PROCESSES = '''    import os
    started = 0
    try:
        for _ in range(150):
            if os.fork() == 0:
                os.execvp('sleep', ['sleep', '4321.7'])
            started += 1
    except OSError:
        pass
    return h.T @ gradCE(target, prediction) + (started < 150)
'''

MANY_FILES = '''    import os, tempfile
    written = 0
    for folder in ('.', tempfile.gettempdir()):
        for number in range(8):
            try:
                with open(os.path.join(folder, f'f{number}'), 'wb') as f:
                    f.write(bytes(15 * 2 ** 20))
                written += 15
            except OSError:
                pass
    return h.T @ gradCE(target, prediction) + (written < 240)
'''


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_memory_is_bounded_for_all_processes_together(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', replace=[(*hostile.DL_DW_O, FOUR_CHILDREN)])
    results = graded(folder, sandbox, suite='public', limits=Limits(memory=2 ** 30, call_timeout=30))
    assert lost_functions(results) == {'dL_dW_o'}, 'four children of 400 MB each must not fit in 1 GiB'


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_processes_are_bounded_for_the_whole_submission(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', replace=[(*hostile.DL_DW_O, MANY_PROCESSES)])
    results = graded(folder, sandbox, suite='public', limits=Limits(processes=64, call_timeout=30))
    assert lost_functions(results) == {'dL_dW_o'}, 'no more than 64 processes may start'
    assert not [p for p in Path('/proc').iterdir() if p.name.isdigit() and b'4321.7' in _cmdline(p)]


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_disk_is_bounded_for_the_whole_submission(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', replace=[(*hostile.DL_DW_O, MANY_FILES)])
    results = graded(folder, sandbox, suite='public', limits=Limits(disk=64 * 2 ** 20, call_timeout=30))
    assert lost_functions(results) == {'dL_dW_o'}, 'no more than 64 MiB of files may be written'


def test_without_a_tmpfs_the_files_written_are_measured_after_each_call(tmp_path, monkeypatch):
    monkeypatch.setattr(confinement, '_can_mount_tmpfs', lambda: False)
    folder = build(tmp_path / 'sub', replace=[(*hostile.DL_DW_O, MANY_FILES)])
    results = graded(folder, 'none', suite='public', limits=Limits(disk=64 * 2 ** 20, call_timeout=30))
    assert lost_functions(results) == {'dL_dW_o'}
    assert 'wrote more than 64 MiB of files' in failed(results)[0]['output']
    assert results['extra_data']['disk_capped'] is False


def test_the_grader_reads_at_most_a_bounded_answer(tmp_path):
    for megabytes in (80, 40):
        forged = hostile.forged_answer(megabytes * 2 ** 20)
        folder = build(tmp_path / f'sub{megabytes}', replace=[(*hostile.DL_DW_O, forged)])
        results, peak = hostile.grade_in_subprocess(folder, sandbox='bwrap', parts=[1, 2, 3])
        assert 'dL_dW_o' in lost_functions(results) and kept(results, PART_1)
        assert peak < 400, f'the grading process peaked at {peak:.0f} MiB with a forged {megabytes} MB answer'


# Text from a submission is capped wherever it goes.

@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_huge_messages_leave_a_small_results_file(tmp_path, sandbox):
    results = graded(build(tmp_path / 'sub', append=hostile.HUGE_TEXT), sandbox)
    assert lost_functions(results) >= {'relu', 'sigmoid', 'tanh', 'gradRelu'}
    assert len(json.dumps(results)) < 1_000_000
    json.dumps(results, ensure_ascii=False).encode('utf-8')    # no lone surrogate is left


def test_a_lone_surrogate_does_not_stop_the_report(tmp_path):
    folder = build(tmp_path / 'sub', append=hostile.HUGE_TEXT)
    done = subprocess.run([sys.executable, '-m', 'grader', 'grade', str(folder), '--out', str(tmp_path / 'r.json')],
                          cwd=ROOT, capture_output=True, timeout=600, env=dict(os.environ, PYTHONIOENCODING='utf-8'))
    assert done.returncode == 0, done.stderr[-2000:]
    assert b'Total' in done.stdout and json.loads((tmp_path / 'r.json').read_text())['tests']


@pytest.mark.parametrize('sandbox', SANDBOXES)
@pytest.mark.parametrize('body, message', [
    ('import os; os._exit(0)', 'your code ended the Python process (exit code 0)'),
    ('import os; os._exit(200)', 'your code ended the Python process (exit code 200)'),
    ('import sys; sys.exit(3)', 'your code called sys.exit(3)'),
    ('import ctypes; ctypes.string_at(0)', 'signal 11 (SIGSEGV)'),
    ('import os, signal; os.kill(os.getpid(), signal.SIGTERM)', 'signal 15 (SIGTERM)'),
    ('import numpy; numpy.ones(2 ** 31)', 'ran out of memory'),
], ids=['os._exit', 'os._exit(200)', 'sys.exit', 'segfault', 'signal', 'memory'])
def test_a_crash_fails_only_its_own_tests(tmp_path, sandbox, body, message):
    folder = build(tmp_path / 'sub', replace=[('two_layer.py', '    return np.sum(gradCE(target, prediction), axis=0, keepdims=True)\n',
                                                f'    {body}\n')])
    results = graded(folder, sandbox)
    crashed = failed(results)
    assert crashed and all('dL_db_o' in t['tags'] for t in crashed), [t['name'] for t in crashed]
    assert all(message in t['output'] for t in crashed), crashed[0]['output']
    assert results['score'] == pytest.approx(results['extra_data']['max_score'] - sum(t['max_score'] for t in crashed))


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_fifty_megabytes_of_output_leave_a_small_results_file(tmp_path, sandbox):
    noisy = "    for _ in range(50_000):\n        print('x' * 1000)\n    return np.maximum(x, 0.0) + 1.0\n"
    folder = build(tmp_path / 'sub', replace=[('activations.py', '    return np.maximum(x, 0.0)\n', noisy)])
    results = graded(folder, sandbox, suite='public')
    relu = [t for t in failed(results) if 'relu' in t['tags']]
    assert relu and 'Your code printed:' in relu[0]['output'] and 'more characters' in relu[0]['output']
    assert len(json.dumps(results)) < 200_000


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_processes_started_by_a_submission_are_gone_after_grading(tmp_path, sandbox):
    spawn = ("    import os\n"
             "    for _ in range(5 * (os.environ.get('SPAWNED') is None)):\n"
             "        os.environ['SPAWNED'] = '1'\n"
             "        if os.fork() == 0:\n"
             "            os.setsid()\n"
             "            if os.fork() == 0:\n"
             "                os.execvp('sleep', ['sleep', '4321.5'])\n"
             "            os._exit(0)\n"
             "    return np.maximum(x, 0.0)\n")
    folder = build(tmp_path / 'sub', replace=[('activations.py', '    return np.maximum(x, 0.0)\n', spawn)])
    results = graded(folder, sandbox, suite='public')
    assert results['score'] == results['extra_data']['max_score']
    leftovers = [p for p in Path('/proc').iterdir() if p.name.isdigit() and b'4321.5' in _cmdline(p)]
    assert not leftovers


def _cmdline(proc):
    try:
        return (proc / 'cmdline').read_bytes()
    except OSError:
        return b''


SNOOP = '''
import os as _os
def _snoop():
    found = []
    for top in ('/', '/work', '/root', '/tmp', '/home'):
        for folder, dirs, files in _os.walk(top):
            dirs[:] = [d for d in dirs if d not in ('proc', 'sys', 'dev')]
            for name in files:
                if name.startswith('test_') and 'hidden' in folder or folder.endswith('solution'):
                    try:
                        found.append(open(_os.path.join(folder, name)).read())
                    except OSError:
                        pass
            if len(found) > 3:
                return found
    return found


def relu(x):
    print(''.join(_snoop())[:3000])
    return x * float('nan')
'''


def test_a_submission_cannot_read_the_hidden_tests_or_the_solution(tmp_path):
    """NEEDS_BWRAP: without the sandbox, a root worker can read any file."""
    results = graded(build(tmp_path / 'sub', append={'activations.py': SNOOP}), 'bwrap', suite='public')
    text = json.dumps(results)
    assert 'relu' in lost_functions(results)
    assert 'def test_' not in text and 'BEGIN SOLUTION' not in text and 'exp(-|x|)' not in text


ATTACK = '''
import glob as _glob, json as _json, os as _os, signal as _signal
import numpy as _np

for _path in _glob.glob('/tmp/**/*.json', recursive=True) + _glob.glob(DECOY + '/**/*.json', recursive=True):
    try:
        with open(_path, 'w') as _f:
            _json.dump({'score': 100}, _f)
    except OSError:
        pass
_np.allclose = _np.isclose = lambda *args, **kwargs: True
_np.testing.assert_allclose = lambda *args, **kwargs: None
try:
    import _pytest.outcomes
    _pytest.outcomes.fail = lambda *args, **kwargs: None
except ImportError:
    pass
for _pid in (_os.getppid(), 1):
    try:
        _os.kill(_pid, _signal.SIGTERM)
    except OSError:
        pass
'''

CONFTEST = '''
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    report.outcome = 'passed'
'''


def nan_everything():
    """Every contract function returns NaN arrays of the right shapes where it can."""
    return {
        'activations.py': '\n'.join(f'def {f}(x, *args):\n    return np.full(np.shape(x), np.nan)\n'
                                    for f in ('relu', 'gradRelu', 'sigmoid', 'tanh', 'actFun', 'diff_actFun')),
        'losses.py': ('def softmax(x):\n    return np.full(np.shape(x), np.nan)\n\n'
                      'def averageCE(target, prediction):\n    return float("nan")\n\n'
                      'def gradCE(target, prediction):\n    return np.full(np.shape(target), np.nan)\n'),
    }


def test_a_cheating_submission_gains_nothing_and_harms_nothing(tmp_path):
    """NEEDS_BWRAP: the attack signals its parent, which without the sandbox is the grader."""
    decoy = tmp_path / 'decoy'
    decoy.mkdir()
    (decoy / 'results.json').write_text('{"score": 3}')
    # One seed for both: by default it derives from the content, and the hidden tests'
    # random inputs could then let all-NaN code pass a test in one run and not the other.
    honest = graded(build(tmp_path / 'honest', append=nan_everything()), 'bwrap', seed=0, spec=PARTS_1_TO_5)
    attack = dict(nan_everything())
    attack['activations.py'] = f'DECOY = {str(decoy)!r}\n' + ATTACK + '\n' + attack['activations.py']
    cheater = build(tmp_path / 'cheater', append=attack)
    (cheater / 'conftest.py').write_text(CONFTEST)
    (cheater / 'pytest.ini').write_text('[pytest]\naddopts = -p no:terminal\n')
    results = graded(cheater, 'bwrap', seed=0, spec=PARTS_1_TO_5)
    assert results['score'] == honest['score'] < 0.4 * honest['extra_data']['max_score']
    assert [t['status'] for t in results['tests']] == [t['status'] for t in honest['tests']]
    assert (decoy / 'results.json').read_text() == '{"score": 3}'


class_source = '''
class Forged:
    def __eq__(self, other):
        return True
    def __array__(self, *args, **kwargs):
        raise RuntimeError('no')

class Sub(np.ndarray):
    pass
'''


@pytest.mark.parametrize('sandbox', SANDBOXES)
@pytest.mark.parametrize('value', ['Forged()', 'np.zeros(x.shape).view(Sub)', 'np.array([None, 1.0], dtype=object)',
                                   'np.ma.masked_array(np.maximum(x, 0.0))', "{1: 'not a str key'}"],
                         ids=['forged __eq__', 'ndarray subclass', 'object array', 'masked array', 'int keys'])
def test_unsupported_return_types(tmp_path, sandbox, value):
    folder = build(tmp_path / 'sub', replace=[('activations.py', '    return np.maximum(x, 0.0)\n', f'    return {value}\n')],
                   append={'activations.py': class_source})
    results = graded(folder, sandbox, suite='public')
    relu = [t for t in failed(results) if t['tags'] == ['relu']]
    assert relu and relu[0]['extra_data']['outcome'] == 'unsupported_type', relu
    assert 'returned an unsupported type' in relu[0]['output']
    for part in ('2. Softmax and cross-entropy', '3. Gradients of a two-layer ReLU network'):
        assert part_score(results, part) == sum(t['max_score'] for t in results['tests']
                                                if t['extra_data']['part'] == part)


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_a_syntax_error_costs_only_its_module(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', append={'cnn.py': 'def broken(:\n    pass\n'})
    results = graded(folder, sandbox, spec=SPEC)
    assert {t['extra_data']['part'] for t in failed(results)} == {CNN_PART.name}, 'no other module imports cnn.py'
    assert results['score'] == SPEC.points - CNN_PART.points
    assert 'cnn.py cannot be imported: cnn.py, line' in results['output']
    assert 'SyntaxError' in results['output']


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_a_missing_function_costs_only_its_tests(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', replace=[('two_layer.py', 'def predict(X, params', 'def predict_labels(X, params')])
    results = graded(folder, sandbox, spec=PARTS_1_TO_5)
    assert outcomes(results, 'predict') == {'missing'}
    assert 'two_layer.py defines no function predict' in failed(results)[0]['output']
    assert {t['name'] for t in failed(results)} == {t['name'] for t in failed(results) if 'predict' in t['tags']}


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_an_empty_submission_scores_zero_with_a_reason(tmp_path, sandbox):
    (tmp_path / 'empty').mkdir()
    results = graded(tmp_path / 'empty', sandbox)
    assert results['score'] == 0
    assert all('none of activations.py' in t['output'] for t in results['tests'])
