"""The release: a student bundle with nothing secret that grades itself, Gradescope's
autograder, and workflows that pass actionlint."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile

import pytest

from grader.engine import grading, spec as specs
from grader.spec import SPEC
from tests.submissions import ROOT
from tools import release, stubgen

HIDDEN = ROOT / 'grader' / 'suites' / 'hidden'
# The offering the subset tests release: parts 1-3.
SUBSET = [part.number for part in SPEC.parts if part.number <= 3]


@pytest.fixture(scope='module')
def dist(tmp_path_factory):
    return release.build(tmp_path_factory.mktemp('dist') / 'dist')


@pytest.fixture(scope='module')
def subset(tmp_path_factory):
    return release.build(tmp_path_factory.mktemp('subset') / 'dist', SUBSET)


def test_the_student_bundle_holds_no_solution_and_no_hidden_test(dist):
    student = dist / 'student'
    files = [p for p in student.rglob('*') if p.is_file()]
    names = {p.relative_to(student).as_posix() for p in files}
    assert 'assignment/activations.py' in names and 'grader/suites/public/test_losses.py' in names
    assert '.github/workflows/classroom.yml' in names and 'Makefile' in names
    assert not any(n.startswith(('solution/', 'tests/', 'tools/', 'grader/suites/hidden')) for n in names)
    secret = stubgen.secret_lines(ROOT / 'solution')
    hidden_sources = {p.read_bytes() for p in HIDDEN.glob('*.py')}
    hidden_tests = {line.strip() for p in HIDDEN.glob('test_*.py') for line in p.read_text().splitlines()
                    if line.startswith('def test_')}
    for path in files:
        assert path.read_bytes() not in hidden_sources, path
        text = path.read_text(errors='replace')
        lines = {line.strip() for line in text.splitlines()}
        assert not lines & secret, (path, sorted(lines & secret)[:3])
        assert not lines & hidden_tests, (path, sorted(lines & hidden_tests)[:3])
    with zipfile.ZipFile(dist / 'student.zip') as zf:
        assert sorted(zf.namelist()) == sorted(f'{release.STUDENT_FOLDER}/{n}' for n in names)


def sweep(bundle, tmp_path):
    """tests/answer_sweep.py's findings on a bundle: it runs in a pid namespace of its own and an
    empty folder, since it calls the harness's functions with arguments they were never meant for."""
    out, work = tmp_path / 'sweep.json', tmp_path / 'work'
    work.mkdir()
    subprocess.run(['unshare', '--pid', '--fork', '--mount-proc', sys.executable, str(ROOT / 'tests' / 'answer_sweep.py'),
                    str(bundle), str(out)], cwd=work, check=True, timeout=900)
    return json.loads(out.read_text())


def test_no_function_of_the_student_bundle_reproduces_a_graded_answer(dist, tmp_path):
    found = sweep(dist / 'student', tmp_path)
    assert len(found['functions']) > 300 and not found['unimportable'], found['unimportable']
    assert found['reproduced'] == []


def renamed(source, names):
    """A module's source with every one of `names` given another name, where defined and used."""
    for name in names:
        source = re.sub(rf'\b{name}\b', f'_helper_{len(name)}_{name[::-1]}', source)
    return source


def test_the_sweep_finds_reference_functions_pasted_under_other_names(tmp_path):
    bundle = tmp_path / 'bundle'
    (bundle / 'pasted').mkdir(parents=True)
    (bundle / 'pasted' / '__init__.py').write_text('')
    for module in ('losses', 'cnn'):
        functions = next(m.functions for m in SPEC.modules if m.name == module)
        source = (ROOT / 'solution' / f'{module}.py').read_text().replace('from .', 'from solution.')
        (bundle / 'pasted' / f'{module}.py').write_text(renamed(source, functions))
    found = sweep(bundle, tmp_path)
    graded = {name for _, name in found['reproduced']}
    assert {'softmax', 'averageCE', 'gradCE', 'conv_forward', 'conv_backward', 'maxpool_forward',
            'maxpool_backward', 'cnn_loss_and_grads', 'init_cnn'} <= graded, sorted(graded)


def public_points(parts):
    """What the public suite is worth over these parts, graded on the reference."""
    results = grading.grade(ROOT / 'solution', SPEC.offering(parts), 'public')
    assert results['score'] == results['extra_data']['max_score']
    return results['score']


def test_a_subset_release_holds_only_its_parts(subset):
    student = subset / 'student'
    offering = specs.load(student / 'grader')
    assert [part.number for part in offering.parts] == SUBSET
    assert offering.points == sum(part.points for part in SPEC.parts if part.number in SUBSET)
    left_out = [module.file for module in SPEC.modules if module not in offering.modules]
    assert left_out and not any((student / 'assignment' / name).exists() for name in left_out)
    handout = (student / 'assignment' / 'README.md').read_text()
    assert f'**Total** | **{offering.points:g}**' in handout
    assert not any(f'## Part {part.number} —' in handout for part in SPEC.parts if part.number not in SUBSET)
    suites = {path.name for path in (student / 'grader' / 'suites' / 'public').glob('test_*.py')}
    assert suites and all(release.suite_parts(student / 'grader' / 'suites' / 'public' / name, SPEC) <= set(SUBSET)
                          for name in suites)


def test_an_unpacked_subset_bundle_grades_itself_from_a_fresh_shell(subset, tmp_path):
    with zipfile.ZipFile(subset / 'student.zip') as zf:
        zf.extractall(tmp_path)
    bundle = tmp_path / release.STUDENT_FOLDER
    env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': os.environ.get('HOME', '/root')}
    done = subprocess.run(['make', 'grade'], cwd=bundle, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert 'not attempted yet' in done.stdout
    results = json.loads((bundle / 'results.json').read_text())
    assert results['score'] == 0 and results['extra_data']['max_score'] == public_points(SUBSET)
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run([str(bundle / '.venv/bin/python'), '-m', 'grader', 'grade', 'assignment', '--suite', 'all'],
                       cwd=bundle, env=env, capture_output=True, check=True, timeout=300)


def test_the_gradescope_autograder_grades_a_simulated_submission(dist, tmp_path):
    root = tmp_path / 'autograder'
    with zipfile.ZipFile(dist / 'autograder.zip') as zf:
        assert {'setup.sh', 'run_autograder', 'requirements.txt'} <= set(zf.namelist())
        assert stat.S_IMODE(zf.getinfo('run_autograder').external_attr >> 16) == 0o755
        zf.extractall(root / 'source')
    (root / 'source' / 'run_autograder').chmod(0o755)
    shutil.copytree(ROOT / 'solution', root / 'submission')
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    done = subprocess.run([str(root / 'source' / 'run_autograder')], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / 'results' / 'results.json').read_text())
    assert results['score'] == 100
    visibility = {t['visibility'] for t in results['tests'] if t['extra_data']['nodeid'].startswith('hidden/')}
    assert visibility == {'after_published'}


def test_the_autograder_accepts_a_notebook_upload(dist, tmp_path):
    root = tmp_path / 'autograder'
    with zipfile.ZipFile(dist / 'autograder.zip') as zf:
        zf.extractall(root / 'source')
    (root / 'source' / 'run_autograder').chmod(0o755)
    (root / 'submission').mkdir()
    shutil.copy(ROOT / 'assignment' / 'assignment.ipynb', root / 'submission' / 'homework.ipynb')
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    subprocess.run([str(root / 'source' / 'run_autograder')], env=env, capture_output=True, timeout=600)
    results = json.loads((root / 'results' / 'results.json').read_text())
    assert results['score'] == 0
    assert {t['extra_data']['outcome'] for t in results['tests']} == {'not_implemented'}


def test_the_workflows_pass_actionlint():
    workflows = [ROOT / '.github/workflows/grade-submissions.yml',
                 ROOT / 'release/student/.github/workflows/classroom.yml']
    done = subprocess.run(['node', str(ROOT / 'tools' / 'actionlint.cjs'), *map(str, workflows)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_classroom_payload_carries_the_points(tmp_path):
    import base64
    from grader.engine.output.classroom import reporter_payload
    results = {'score': 3, 'tests': [{'name': 'a', 'status': 'passed', 'score': 3, 'max_score': 3, 'output': ''},
                                     {'name': 'b', 'status': 'failed', 'score': 0, 'max_score': 2, 'output': 'why'}]}
    payload = json.loads(base64.b64decode(reporter_payload(results)))
    assert payload['max_score'] == 5 and payload['status'] == 'fail'
    assert [(t['name'], t['status'], t['score']) for t in payload['tests']] == [('a', 'pass', 3), ('b', 'fail', 0)]


def test_the_student_bundle_opens_its_notebook_in_jupyterlab_from_its_own_environment(dist):
    """`make notebook` installs the notebook extra of pyproject.toml into the bundle's .venv
    and opens the notebook with that Python, beside check.py, which grades from a cell."""
    student = dist / 'student'
    with open(ROOT / 'pyproject.toml', 'rb') as f:
        extra = tomllib.load(f)['project']['optional-dependencies']['notebook']
    assert (student / 'requirements-notebook.txt').read_text().split() == extra
    assert (student / 'assignment' / 'check.py').is_file()
    plan = subprocess.run(['make', '-n', '-W', 'requirements.txt', 'notebook'], cwd=student, capture_output=True,
                          text=True, check=True).stdout
    assert 'pip install --quiet --disable-pip-version-check -r requirements-notebook.txt' in plan
    assert '.venv/bin/python -m jupyter lab assignment/assignment.ipynb' in plan


def test_the_autograder_shows_the_written_answers(dist, tmp_path):
    root = tmp_path / 'autograder'
    with zipfile.ZipFile(dist / 'autograder.zip') as zf:
        zf.extractall(root / 'source')
    (root / 'source' / 'run_autograder').chmod(0o755)
    shutil.copytree(ROOT / 'solution', root / 'submission')
    (root / 'submission' / 'answers.md').write_text(
        (ROOT / 'assignment' / 'answers.md').read_text().replace('*Your answer here.*', 'Because.', 1))
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    subprocess.run([str(root / 'source' / 'run_autograder')], env=env, capture_output=True, timeout=600)
    results = json.loads((root / 'results' / 'results.json').read_text())
    assert results['score'] == 100 and results['extra_data']['answers']['answered'] == [1]
    assert 'Question 1 (Part 4, 1 point):\n    Because.' in results['output']
