"""Every setup the grader supports keeps a submission's code from the reference, the hidden
tests, other submissions and the grader's environment, or refuses to grade the hidden
tests there; and a sandbox that cannot run Python scores nothing.

The setups are made here, at run time (tests/standin): a `bwrap` that fails as Ubuntu
24.04's does, so that --sandbox auto does without it; root without CAP_SYS_ADMIN, as in
Gradescope's Docker containers, where no mount namespace can hide anything; `nobody`
running the grader, as a student does without root on a laptop. A hostile submission
reports what it could read of each secret: nothing, wherever grading goes on.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import zipfile

import pytest

from grader.engine.grading import IsolationError
from grader.engine.sandbox import confinement
from grader.engine.sandbox.cgroups import Cgroup
from grader.engine.sandbox.confinement import choose_sandbox
from tests import hostile, standin
from tests import test_adversarial as adversarial
from tests.submissions import PARTS_1_TO_3, ROOT, build, failed, grade, parts_option
from tools import release

PARTS = parts_option(PARTS_1_TO_3)
# The grader's own environment carries this; no results file may.
TOKEN = secrets.token_hex(16)


@pytest.fixture(scope='module', autouse=True)
def root_and_cgroups():
    assert os.geteuid() == 0, 'these tests build the setups of root and of nobody: run them as root'
    group = Cgroup.create(2 ** 30, 64)
    assert group is not None, 'these tests need cgroups: run them as root on a machine with cgroup v1 or v2'
    group.remove()


@pytest.fixture
def no_bubblewrap(tmp_path, monkeypatch):
    """A `bwrap` on PATH that fails as Ubuntu 24.04's; the grader's environment holds TOKEN."""
    monkeypatch.setenv('PATH', standin.path_with(standin.failing_bwrap(tmp_path / 'standin')))
    monkeypatch.setenv('GRADER_TOKEN', TOKEN)


@pytest.fixture(scope='module')
def shared():
    """A folder every user can read, outside the temporary folder (the setups' disk)."""
    with standin.shared_folder() as folder:
        yield folder


@pytest.fixture(scope='module')
def python_for_nobody(shared):
    """A Python that `nobody` can run: this one, or one borrowing its packages."""
    if standin.nobody_can_run(sys.executable):
        return sys.executable
    python = standin.borrowing_venv(shared / 'nobody')
    assert standin.nobody_can_run(python)
    return python


# What a hostile submission tries to read. It reports, for each, 'READ' when it got
# anything, and the error it met otherwise.
SNOOP = '''
import glob as _glob, json as _json, os as _os


def _attempt(path):
    try:
        got = _os.listdir(path) if _os.path.isdir(path) else open(path, 'rb').read()
    except OSError as error:
        return type(error).__name__
    return 'READ' if got else 'EMPTY'


def _environments_holding(token):
    found = 0
    for path in _glob.glob('/proc/[0-9]*/environ'):
        try:
            with open(path, 'rb') as f:
                found += token.encode() in f.read()
        except OSError:
            pass
    return found


def relu(x):
    targets = dict(TARGETS, grader_environment=f'/proc/{_os.getppid()}/environ')
    report = {name: _attempt(path) for name, path in targets.items()}
    report['environments_holding_the_token'] = _environments_holding(TOKEN)
    print('SNOOPED ' + _json.dumps(report))
    return x * float('nan')
'''


def snooping(folder, **targets):
    """The reference, whose relu reports what it could read of the secrets and of `targets`."""
    targets = {'reference': str(ROOT / 'solution' / 'activations.py'),
               'hidden_tests': str(ROOT / 'grader' / 'suites' / 'hidden'), 'checkout': str(ROOT),
               'shadow': '/etc/shadow', **targets}
    return build(folder, append={'activations.py': f'TARGETS = {targets!r}\nTOKEN = {TOKEN!r}\n' + SNOOP})


def snooped(results):
    """What the snooping relu reported, from the feedback of its failed tests."""
    for test in failed(results):
        for line in test['output'].splitlines():
            if line.startswith('SNOOPED '):
                return json.loads(line[len('SNOOPED '):])
    raise AssertionError('the snooping relu did not run')


def assert_read_nothing(results):
    report = snooped(results)
    assert report.pop('environments_holding_the_token') == 0
    assert 'READ' not in report.values(), report
    assert TOKEN not in json.dumps(results)


def token_file(folder):
    """A file only root may read, holding TOKEN."""
    path = folder / 'token'
    path.write_text(TOKEN)
    path.chmod(0o600)
    return str(path)


def grader(args, cwd=ROOT, python=sys.executable, preexec_fn=None, env=None):
    """Run `python -m grader ARGS`; the finished process."""
    return subprocess.run([str(python), '-m', 'grader', *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=600, preexec_fn=preexec_fn, env=env or os.environ)


# A bubblewrap that cannot create namespaces

@pytest.mark.parametrize('message', standin.UBUNTU_24_04)
def test_a_bubblewrap_that_cannot_create_namespaces_is_not_used(tmp_path, monkeypatch, message):
    monkeypatch.setenv('PATH', standin.path_with(standin.failing_bwrap(tmp_path, message)))
    assert choose_sandbox('auto') == 'none'
    with pytest.raises(ValueError, match='cannot create namespaces'):
        choose_sandbox('bwrap')


# Root without bubblewrap: the worker's mount namespace hides every secret, and it runs as nobody.

def test_as_root_without_bubblewrap_a_submission_reads_no_secret(tmp_path, no_bubblewrap):
    # Where another grading's worker keeps its copy of a submission, open to nobody.
    with standin.shared_folder(tempfile.gettempdir(), 'grader-worker-') as neighbour:
        bob = build(neighbour / 'submission' / 'bob')
        standin.open_to_all(neighbour)
        folder = snooping(tmp_path / 'eve', token_file=token_file(tmp_path), another_submission=str(bob / 'losses.py'),
                          temporary_folder=tempfile.gettempdir())
        results, _ = hostile.grade_in_subprocess(folder, suite='all', sandbox='auto', parts=[1, 2, 3])
    extra = results['extra_data']
    assert extra['sandbox'] == 'none' and extra['worker_user'].startswith('uid ')
    assert extra['isolation'] == {'exposed': [], 'asked_for_no_sandbox': False}
    assert_read_nothing(results)
    assert {tag for test in failed(results) for tag in test['tags']} <= {'relu', 'actFun'}


def test_as_root_without_bubblewrap_a_batch_hides_the_other_submissions_and_the_results(no_bubblewrap, shared):
    submissions, out = shared / 'batch', shared / 'batch-out'
    build(submissions / 'bob')
    snooping(submissions / 'eve', another_submission=str(submissions / 'bob' / 'losses.py'), results=str(out))
    standin.open_to_all(submissions)
    done = grader(['batch', submissions, '--out', out, '--jobs', '1', '--parts', PARTS])
    assert done.returncode == 0, done.stderr[-3000:]
    eve = json.loads((out / 'results' / 'eve.json').read_text())
    assert eve['extra_data']['isolation']['exposed'] == []
    assert_read_nothing(eve)


def test_as_root_without_bubblewrap_workers_side_by_side_cannot_reach_each_other(no_bubblewrap, shared):
    """Each worker runs as a user of its own: through /proc, none reaches the files of
    another graded at the same time, so a batch grades with --jobs 2."""
    submissions, out = shared / 'pair', shared / 'pair-out'
    for name in ('ada', 'bo'):
        build(submissions / name)
    done = grader(['batch', submissions, '--out', out, '--jobs', '2', '--parts', PARTS])
    assert done.returncode == 0, done.stderr[-3000:]
    for result in (out / 'results').glob('*.json'):
        extra = json.loads(result.read_text())['extra_data']
        assert extra['isolation']['exposed'] == [] and extra['worker_user'].startswith('uid ')


# Hostile submissions of tests/test_adversarial.py, graded with --sandbox auto where bubblewrap fails.

@pytest.fixture
def graded_without_bubblewrap(no_bubblewrap, monkeypatch):
    """test_adversarial's cases grade with --sandbox auto, whatever sandbox they name, and
    must find bubblewrap unusable and no secret exposed."""
    graded = adversarial.graded

    def auto(folder, sandbox, *args, **kwargs):
        results = graded(folder, 'auto', *args, **kwargs)
        assert results['extra_data']['sandbox'] == 'none' and results['extra_data']['isolation']['exposed'] == []
        return results
    monkeypatch.setattr(adversarial, 'graded', auto)


HOSTILE = {
    'endless loop at import': (adversarial.test_endless_loop_at_import, {}),
    'os._exit': (adversarial.test_a_crash_fails_only_its_own_tests,
                 {'body': 'import os; os._exit(0)', 'message': 'your code ended the Python process (exit code 0)'}),
    'segfault': (adversarial.test_a_crash_fails_only_its_own_tests,
                 {'body': 'import ctypes; ctypes.string_at(0)', 'message': 'signal 11 (SIGSEGV)'}),
    'memory of all processes': (adversarial.test_memory_is_bounded_for_all_processes_together, {}),
    'processes of a submission': (adversarial.test_processes_are_bounded_for_the_whole_submission, {}),
    'disk of a submission': (adversarial.test_disk_is_bounded_for_the_whole_submission, {}),
    'huge messages': (adversarial.test_huge_messages_leave_a_small_results_file, {}),
    'processes left behind': (adversarial.test_processes_started_by_a_submission_are_gone_after_grading, {}),
    'forged __eq__': (adversarial.test_unsupported_return_types, {'value': 'Forged()'}),
    'searching the disk for the hidden tests': (adversarial.test_a_submission_cannot_read_the_hidden_tests_or_the_solution,
                                                None),
    'cheating and signalling the grader': (adversarial.test_a_cheating_submission_gains_nothing_and_harms_nothing, None),
}


@pytest.mark.parametrize('case', HOSTILE)
def test_hostile_submissions_without_a_working_bubblewrap(tmp_path, graded_without_bubblewrap, case):
    test, parameters = HOSTILE[case]
    # Cases that run with bubblewrap only name no sandbox: the fixture chooses it for them.
    test(tmp_path, **({} if parameters is None else {'sandbox': 'auto', **parameters}))


# Where a worker can read a secret: nobody runs the grader, as a student without root does.

@pytest.fixture(scope='module')
def laptop(shared, python_for_nobody):
    """(run, folder): run(args) runs the grader as nobody, with a bubblewrap that fails,
    from the checkout; nobody may write `folder`, whose submissions/ holds a copy of the reference."""
    folder = shared / 'laptop'
    build(folder / 'submissions' / 'ada')
    standin.open_to_all(folder)
    os.chown(folder, 65534, 65534)
    env = {'PATH': standin.path_with(standin.failing_bwrap(shared / 'laptop-standin')), 'HOME': str(folder),
           'LANG': 'C.UTF-8', 'GRADER_TOKEN': TOKEN}

    def run(args):
        return grader(args, python=python_for_nobody, preexec_fn=standin.as_nobody, env=env)
    return run, folder


def test_where_a_worker_can_read_the_reference_the_hidden_suite_is_not_graded(laptop):
    run, folder = laptop
    done = run(['grade', folder / 'submissions' / 'ada', '--suite', 'all', '--parts', PARTS, '--out', folder / 'all.json'])
    assert done.returncode == 2, done.stderr[-3000:]
    for what in ('the reference solution', 'the hidden tests', "the grader's environment",
                 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0', 'run the grader as root',
                 '--sandbox none'):
        assert what in done.stderr, (what, done.stderr)
    assert not (folder / 'all.json').exists()


def test_where_a_worker_can_read_the_reference_a_batch_writes_nothing(laptop):
    run, folder = laptop
    done = run(['batch', folder / 'submissions', '--out', folder / 'batch-out', '--parts', PARTS])
    assert done.returncode == 2, done.stderr[-3000:]
    assert 'the other submissions' in done.stderr and not (folder / 'batch-out').exists()


def test_the_public_suite_is_graded_with_what_was_exposed_recorded(laptop):
    run, folder = laptop
    done = run(['grade', folder / 'submissions' / 'ada', '--parts', PARTS, '--out', folder / 'public.json'])
    assert done.returncode == 0, done.stderr[-3000:]
    isolation = json.loads((folder / 'public.json').read_text())['extra_data']['isolation']
    assert isolation['asked_for_no_sandbox'] is False
    assert any(item.startswith("the grader's environment") for item in isolation['exposed'])


def test_an_explicit_sandbox_none_grades_the_hidden_suite_and_says_so(laptop):
    run, folder = laptop
    done = run(['grade', folder / 'submissions' / 'ada', '--suite', 'all', '--sandbox', 'none', '--parts', PARTS,
                '--out', folder / 'none.json'])
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((folder / 'none.json').read_text())
    assert results['score'] == results['extra_data']['max_score']
    isolation = results['extra_data']['isolation']
    assert isolation['asked_for_no_sandbox'] is True
    assert any(item.startswith('the reference solution') for item in isolation['exposed'])


# Root in a container (no CAP_SYS_ADMIN, no working bubblewrap), as on Gradescope.

def test_root_in_a_container_with_the_checkout_readable_does_not_grade_the_hidden_suite(tmp_path, no_bubblewrap):
    done = grader(['grade', ROOT / 'solution', '--suite', 'all', '--parts', PARTS, '--out', tmp_path / 'r.json'],
                  preexec_fn=standin.without_sys_admin)
    assert done.returncode == 2, done.stderr[-3000:]
    assert 'the reference solution' in done.stderr and not (tmp_path / 'r.json').exists()


def test_gradescope_setup_makes_the_source_unreadable_to_the_worker(shared, python_for_nobody, no_bubblewrap):
    root = shared / 'autograder'
    dist = release.build(shared / 'dist', [part.number for part in PARTS_1_TO_3.parts])
    with zipfile.ZipFile(dist / 'autograder.zip') as zf:
        zf.extractall(root / 'source')
    for script in ('setup.sh', 'run_autograder'):
        (root / 'source' / script).chmod(0o755)
    snooping(root / 'submission', reference=str(root / 'source' / 'solution' / 'activations.py'),
             hidden_tests=str(root / 'source' / 'grader' / 'suites' / 'hidden'), checkout=str(root / 'source'))
    standin.open_to_all(root)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=str(python_for_nobody))

    def run_autograder():
        done = subprocess.run([root / 'source' / 'run_autograder'], env=env, capture_output=True, text=True,
                              timeout=600, preexec_fn=standin.without_sys_admin)
        assert done.returncode == 0, done.stderr[-3000:]
        return done, json.loads((root / 'results' / 'results.json').read_text())

    # As unpacked, at the default umask: every user may read the reference, so nothing is graded.
    done, results = run_autograder()
    assert results['score'] == 0 and 'failed before it could grade' in results['output']
    assert 'the reference solution' in done.stderr
    # setup.sh, with its installs stubbed: the source becomes root's alone, and grading is safe.
    stubs = standin.stub_commands(shared / 'setup-stubs', **{
        'apt-get': 'exit 0',
        'python3': '[ "$1 $2" = "-m venv" ] && mkdir -p "$3/bin" && printf "#!/bin/sh\\n" > "$3/bin/pip" '
                   '&& chmod +x "$3/bin/pip"'})
    setup = subprocess.run([root / 'source' / 'setup.sh'], env=dict(env, PATH=standin.path_with(stubs)),
                           capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr
    assert not [path for path in (root / 'source').rglob('*') if path.stat().st_mode & 0o077]
    _, results = run_autograder()
    extra = results['extra_data']
    assert (extra['sandbox'], extra['disk_capped']) == ('none', False) and extra['worker_user'].startswith('uid ')
    assert extra['isolation'] == {'exposed': [], 'asked_for_no_sandbox': False}
    assert_read_nothing(results)


# GitHub Actions' ubuntu-latest (Ubuntu 24.04): the workflows let bubblewrap work before grading.

@pytest.mark.parametrize('workflow, grading', [('.github/workflows/grade-submissions.yml', 'python -m grader batch'),
                                               ('release/student/.github/workflows/classroom.yml', 'make grade')])
def test_the_workflows_let_bubblewrap_create_namespaces_before_grading(workflow, grading):
    text = (ROOT / workflow).read_text()
    assert text.index('apt-get install -y bubblewrap') < text.index(
        'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0') < text.index(grading)


# A sandbox that cannot run Python at all: nothing is scored.

def test_a_python_the_sandbox_cannot_run_scores_nothing(tmp_path, shared):
    """bubblewrap shows the worker the interpreter's own folders only: a venv whose
    packages lie in another checkout cannot even import numpy there."""
    python = standin.borrowing_venv(tmp_path / 'borrowing')
    assert choose_sandbox('auto') == 'bwrap'
    done = grader(['grade', ROOT / 'solution', '--parts', PARTS, '--out', tmp_path / 'r.json'], python=python)
    assert done.returncode == 3, done.stderr[-3000:]
    assert 'could not start a worker' in done.stderr and not (tmp_path / 'r.json').exists()
    submissions = tmp_path / 'submissions'
    shutil.copytree(ROOT / 'solution', submissions / 'ada')
    done = grader(['batch', submissions, '--out', tmp_path / 'out', '--parts', PARTS], python=python)
    assert done.returncode == 3, done.stderr[-3000:]
    assert not (tmp_path / 'out').exists()


def test_a_worker_that_stays_root_can_read_the_graders_environment_so_the_hidden_suite_stops(no_bubblewrap,
                                                                                              monkeypatch):
    """Where no user can stand in for root (no `nobody`), the mount namespace hides the disk's
    secrets but not /proc: the probe finds the grader's environment."""
    monkeypatch.setattr(confinement, '_unprivileged_user', lambda: None)
    with pytest.raises(IsolationError, match="the grader's environment") as refused:
        grade(ROOT / 'solution', 'all', PARTS_1_TO_3)
    assert 'the worker running as root' in str(refused.value) and 'the reference' not in str(refused.value)
    results = grade(ROOT / 'solution', 'public', PARTS_1_TO_3)
    assert results['extra_data']['worker_user'] == 'root'
    assert [item.split(' (')[0] for item in results['extra_data']['isolation']['exposed']] == [
        "the grader's environment"]
