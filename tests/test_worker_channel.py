"""Nothing that comes back from the worker is trusted: a forged stack dump opens no file of
the grader's, an answer that does not decode or claims an outcome of its own fails its
call only, a death between calls is charged to no honest call, and what a call leaves
running is stopped when it returns."""

import json
import os
import secrets
import sys
from pathlib import Path

import pytest

from grader.engine.grading import HarnessError
from grader.engine.sandbox import isolation
from grader.engine.sandbox.isolation import Limits
from grader.engine.sandbox.processes import children, state
from tests import hostile
from tests.submissions import PARTS_1_AND_2, ROOT, build, failed
from tests.test_adversarial import FAST, SANDBOXES, bubblewrap_and_cgroups_are_available, graded  # noqa: F401
from tests.test_adversarial import lost_functions

CANNOT_READ = 'dL_dW_o returned something the grader cannot read'


def hostile_dl_dw_o(folder, body):
    """The reference with dL_dW_o's body replaced, and the channel helpers in its module."""
    return build(folder, replace=[(*hostile.DL_DW_O, body)], append={'two_layer.py': hostile.CHANNELS})


# Answers that do not decode, or that are not what a worker writes.

ARRAY = b'{"ok": true, "value": {"__array__": 0}, "output": ""}'
UNREADABLE = {
    'integer of 5,000 digits': (b'{"ok": true, "value": ' + b'7' * 5000 + b', "output": ""}', None),
    'negative dimensions': (ARRAY, hostile.npy_header('(-1, -1)')),
    'dimension of 2**62': (ARRAY, hostile.npy_header(f'({2 ** 62}, 0)', data_bytes=0)),
    'malformed header': (ARRAY, hostile.npy_header("(1,), 'x': __import__('os')")),
    'outcome "passed"': (b'{"ok": false, "outcome": "passed", "message": "", "output": ""}', None),
    'not JSON': (b'{"ok": tru', None),
    'a list': (b'[1, 2, 3]', None),
}


@pytest.mark.parametrize('sandbox', SANDBOXES)
@pytest.mark.parametrize('case', UNREADABLE, ids=list(UNREADABLE))
def test_an_answer_that_does_not_decode_fails_only_its_call(tmp_path, sandbox, case):
    document, blob = UNREADABLE[case]
    folder = hostile_dl_dw_o(tmp_path / 'sub', hostile.answers_then(document, blob))
    results = graded(folder, sandbox, suite='public')
    assert lost_functions(results) == {'dL_dW_o'}, 'the worker is replaced and later calls keep their points'
    for test in failed(results):
        assert test['extra_data']['outcome'] == 'unsupported_type'
        assert test['output'].startswith(CANNOT_READ), test['output']


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_an_answer_sent_slowly_is_timed_to_its_last_byte(tmp_path, sandbox):
    slowly = ('    import time as _time\n'
              '    _document = b\'{"ok": true, "value": null, "output": ""}\'\n'
              '    _os.write(_channels()[0], _struct.pack("<I", len(_document)))\n'
              '    _time.sleep(30)\n'
              '    _os.write(_channels()[0], _document)\n'
              '    _os._exit(0)\n')
    results = graded(hostile_dl_dw_o(tmp_path / 'sub', slowly), sandbox, suite='public', limits=Limits(call_timeout=2))
    assert results['wall'] < 30
    assert [t['extra_data']['outcome'] for t in failed(results)] == ['timeout']


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_a_death_after_an_answer_is_charged_to_no_honest_call(tmp_path, sandbox):
    answer = b'{"ok": true, "value": null, "output": ""}'
    folder = hostile_dl_dw_o(tmp_path / 'sub', hostile.answers_then(answer, then='_os._exit(0)'))
    results = graded(folder, sandbox, suite='public')
    assert lost_functions(results) == {'dL_dW_o'}, [t['output'][:200] for t in failed(results)]
    assert not any('ended the Python process' in test['output'] for test in results['tests'])


# A forged stack dump names paths: the grader opens none of them.

@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_a_forged_stack_dump_opens_no_file_of_the_graders(tmp_path, sandbox):
    token = tmp_path / 'token'
    token.write_text(f'TOKEN-{secrets.token_hex(8)}\n')
    token.chmod(0o600)
    reference = ROOT / 'solution' / 'activations.py'
    frames = [f'/{token}', f'/../../../../../../../..{token}', f'/{reference}', '//dev/zero',
              '/../two_layer.py/../../../../../../..' + str(token)]
    folder = hostile_dl_dw_o(tmp_path / 'sub', hostile.forged_stacks(frames))
    results, peak = hostile.grade_in_subprocess(folder, sandbox=sandbox, parts=[1, 2, 3], limits={'call_timeout': 2})
    text = json.dumps(results)
    assert token.read_text().strip() not in text
    assert reference.read_text().split('\n')[0].strip() not in text
    assert lost_functions(results) == {'dL_dW_o'}
    timed_out = [t['output'] for t in failed(results) if t['output'].startswith('timed out')]
    assert timed_out and 'while running dL_dW_o (two_layer.py, line' in timed_out[0], timed_out
    assert peak < 400, f'the grading process peaked at {peak:.0f} MiB'


# What a call leaves running is stopped when it returns; nothing is left when grading ends.

# The first call leaves two children holding memory; every later call checks they are gone.
LEAVES_CHILDREN = '''    import os, time
    children = globals().setdefault('_CHILDREN', [])
    running = 0
    if not children:
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                block = np.ones(25_000_000)           # 200 MB, every page touched
                time.sleep(120)
                os._exit(0)
            children.append(pid)
    else:
        for pid in children:
            try:
                running += os.waitpid(pid, os.WNOHANG)[0] == 0
            except ChildProcessError:       # reaped already: SIGCHLD may be ignored
                pass
    return h.T @ gradCE(target, prediction) + running
'''


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_processes_a_call_leaves_running_are_stopped_when_it_returns(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', replace=[(*hostile.DL_DW_O, LEAVES_CHILDREN)])
    results = graded(folder, sandbox, limits=Limits(call_timeout=30))
    assert results['score'] == results['extra_data']['max_score'], [t['output'][:300] for t in failed(results)]


def zombies():
    return {pid for pid in children(os.getpid()) if state(pid) == 'Z'}


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_grading_leaves_no_zombie_behind(tmp_path, sandbox):
    before = zombies()      # what other tests in this process (a batch's pool server) left
    results = graded(build(tmp_path / 'sub', base='assignment'), sandbox, suite='public', limits=FAST)
    assert results['score'] == 0
    left = zombies() - before
    assert not left, [Path(f'/proc/{pid}/comm').read_text().strip() for pid in left]


# A worker that does not start is the grader's fault: retried, then a harness error.

def test_a_worker_that_fails_to_start_once_is_started_again(tmp_path, monkeypatch):
    starts = []
    original = isolation.WorkerProcess.__init__

    def flaky(self, *args):
        starts.append(len(starts))
        if len(starts) == 1:
            raise isolation.SandboxError('bwrap: Can\'t fork for pid 1: Resource temporarily unavailable')
        original(self, *args)

    monkeypatch.setattr(isolation.WorkerProcess, '__init__', flaky)
    results = graded(build(tmp_path / 'sub'), 'bwrap', suite='public', spec=PARTS_1_AND_2)
    assert results['score'] == results['extra_data']['max_score'] and len(starts) >= 2


@pytest.mark.parametrize('breakage', ['python exits', 'a file missing from its copy', 'no room for its copy'])
def test_a_worker_that_never_starts_is_a_harness_error_not_a_score(tmp_path, monkeypatch, breakage):
    original = isolation.Confinement.__init__

    def broken(self, *args, **kwargs):
        if breakage == 'no room for its copy':
            raise OSError(28, 'No space left on device')
        original(self, *args, **kwargs)
        if breakage == 'python exits':
            monkeypatch.setattr(self, 'command', lambda: [sys.executable, '-c', 'import sys; sys.exit(1)'])
        else:
            (self.package_dir / 'losses.py').unlink()

    monkeypatch.setattr(isolation.Confinement, '__init__', broken)
    with pytest.raises(HarnessError, match="could not start a worker|worker's folder could not be made"):
        graded(build(tmp_path / 'sub'), 'bwrap', suite='public', spec=PARTS_1_AND_2)


# A submission cannot stretch its time by lowering its own priority.

STARVES_ITSELF = '''    import os
    os.sched_setaffinity(0, {0})
    if os.fork() == 0:
        while True:
            pass
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    while True:
        pass
'''


@pytest.mark.parametrize('sandbox', SANDBOXES)
def test_a_call_that_lowers_its_own_priority_still_times_out(tmp_path, sandbox):
    folder = build(tmp_path / 'sub', replace=hostile.relu_body(STARVES_ITSELF))
    results = graded(folder, sandbox, suite='public', limits=Limits(call_timeout=3, budget=60), spec=PARTS_1_AND_2)
    assert results['wall'] < 120
    relu = [t['output'] for t in failed(results) if t['tags'] == ['relu']]
    assert relu and relu[0].startswith('timed out after 3 s'), relu


# Without bubblewrap, a worker writes nowhere but its own capped folder, as a user of its own.

LEFT_BEHIND = 'grader-test-left-behind'
LEAVES_FILES = '''    import os
    written = 0
    for folder in ('/dev/shm', '/var/tmp', '/run/lock', '/dev/mqueue'):
        try:
            with open(os.path.join(folder, 'LEFT_BEHIND'), 'w') as f:
                f.write('x')
            written += 1
        except OSError:
            pass
    import ctypes
    ctypes.CDLL(None).shmget(0, 2 ** 20, 0o1600)      # IPC_PRIVATE, IPC_CREAT: a segment outliving it?
    return np.maximum(x, 0.0) + written
'''.replace('LEFT_BEHIND', LEFT_BEHIND)


def test_without_bubblewrap_a_worker_leaves_nothing_in_the_shared_folders(tmp_path):
    folder = build(tmp_path / 'sub', replace=hostile.relu_body(LEAVES_FILES))
    first = graded(folder, 'none', suite='public', spec=PARTS_1_AND_2)
    second = graded(folder, 'none', suite='public', spec=PARTS_1_AND_2)
    assert first['score'] == first['extra_data']['max_score'], 'no write outside its folder succeeded'
    assert not [folder for folder in ('/dev/shm', '/var/tmp', '/run/lock')
                if Path(folder, LEFT_BEHIND).exists()]
    users = {results['extra_data']['worker_user'] for results in (first, second)}
    assert len(users) == 2 and all(user.startswith('uid ') for user in users), users
    segments = Path('/proc/sysvipc/shm').read_text().splitlines()[1:]
    assert not [line for line in segments if f'uid {line.split()[7]}' in users], 'shared memory went with the worker'
