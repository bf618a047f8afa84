"""The similarity report: a copied pair stands out in a class of independent work, the
skeleton counts for no one, nothing of a submission runs, and hostile ids stay text."""

import csv
import importlib
import math
import random
import shutil
import statistics
import subprocess
import sys

import numpy as np
import pytest

from grader.engine import similarity
from grader.spec import SPEC
from solution import activations, losses, two_layer
from tests.classmates import VARIANTS, write_class, write_student
from tests.submissions import ROOT, build

CLASS_SIZE = 30
HOSTILE = '<img src=x onerror=alert(1)>'


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    """30 independent students, a copy of student000 as a notebook, the bare skeleton, a student
    with a hostile id, a submission that would write a file if it ever ran, and a broken zip."""
    root = tmp_path_factory.mktemp('class')
    write_class(root, CLASS_SIZE)
    build(root / 'skeleton', base='assignment')
    write_student(root / HOSTILE, random.Random('hostile'))
    marker = tmp_path_factory.mktemp('marker') / 'ran'
    write_student(root / 'runner', random.Random('runner'))
    with open(root / 'runner' / 'losses.py', 'a') as f:
        f.write(f'\nopen({str(marker)!r}, "w").write("it ran")\n')
    (root / 'broken.zip').write_bytes(b'PK\x03\x04 not a zip')
    return root, marker


@pytest.fixture(scope='module')
def compared(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp('similarity')
    found, skipped = similarity.run(SPEC, folder[0], out)
    return out, found, skipped


def test_the_copied_pair_ranks_first_and_stands_out(compared):
    _, found, _ = compared
    first, second = found[0], found[1]
    assert (first.id_a, first.id_b) == ('copier', 'student000')
    assert first.similarity > 0.75 and first.zscore > 3.5
    assert first.similarity - second.similarity > 0.1, found[:3]


def test_the_skeleton_counts_for_no_one(folder, compared, tmp_path):
    _, found, _ = compared
    with_skeleton = [p for p in found if 'skeleton' in (p.id_a, p.id_b)]
    assert max(p.similarity for p in with_skeleton) < 0.02
    assert all(p.lines == 0 for p in with_skeleton)
    # Without the skeleton as boilerplate, its docstrings and hints make every pair look alike.
    students = tmp_path / 'students'
    shutil.copytree(folder[0], students, ignore=lambda _, names: [n for n in names if not n.startswith('student00')])
    alike = similarity.run(SPEC, students, tmp_path / 'out', boilerplate=())[0]
    apart = similarity.run(SPEC, students, tmp_path / 'out2')[0]
    assert statistics.median(p.similarity for p in alike) > statistics.median(p.similarity for p in apart) + 0.15


def test_pairs_csv_has_every_pair_most_similar_first(compared):
    out, found, _ = compared
    with open(out / 'pairs.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ['id_a', 'id_b', 'similarity', 'zscore', 'lines']
    count = CLASS_SIZE + 4        # the copier, the skeleton, the hostile id and the runner
    assert len(rows) == count * (count - 1) // 2 == len(found)
    values = [float(row['similarity']) for row in rows]
    assert values == sorted(values, reverse=True) and all(0 <= v <= 1 for v in values)
    scores = np.array(values)
    np.testing.assert_allclose([float(row['zscore']) for row in rows],
                               (scores - scores.mean()) / scores.std(), atol=0.02)


def test_unreadable_submissions_are_listed_not_dropped(compared):
    out, _, skipped = compared
    assert list(skipped) == ['broken']
    assert 'broken' in (out / 'report.html').read_text()


def test_the_report_warns_and_keeps_hostile_ids_as_text(compared):
    out, _, _ = compared
    page = (out / 'report.html').read_text()
    assert 'not proof' in page and 'pairs.csv' in page
    assert HOSTILE not in page and '&lt;img src=x onerror=alert(1)&gt;' in page
    assert 'submission-1.py = &lt;img' in page
    assert 'grader-similarity-' not in page, 'the private copies are named by the submissions alone'


def test_no_submission_code_runs(folder, compared):
    assert not folder[1].exists()


def test_the_command_line(folder, tmp_path):
    students = tmp_path / 'students'
    shutil.copytree(folder[0], students, ignore=lambda _, names: [n for n in names if n.startswith('student02')])
    done = subprocess.run([sys.executable, '-m', 'grader', 'similarity', str(students), '--out', str(tmp_path / 'o'),
                           '--show', '5'], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'most similar: copier and student000' in done.stdout and 'not proof' in done.stdout
    assert (tmp_path / 'o' / 'report.html').exists() and (tmp_path / 'o' / 'pairs.csv').exists()


@pytest.mark.parametrize('variant', range(max(len(v) for module in VARIANTS.values() for v in module.values())))
def test_the_generated_students_write_correct_code(tmp_path, monkeypatch, variant):
    """Every way the generator writes a function computes what the reference does."""
    choices = {f: variant % len(bodies) for module in VARIANTS.values() for f, bodies in module.items()}
    write_student(tmp_path / f'student{variant}', random.Random(variant), choices)
    (tmp_path / f'student{variant}' / '__init__.py').write_text('')
    monkeypatch.syspath_prepend(str(tmp_path))
    mine = {name: importlib.import_module(f'student{variant}.{name.removesuffix(".py")}') for name in VARIANTS}
    rng = np.random.default_rng(variant)
    x, target = rng.normal(size=(6, 4)) * 3, np.eye(4)[rng.integers(0, 4, 6)]
    for name in ('relu', 'gradRelu', 'sigmoid', 'tanh'):
        np.testing.assert_allclose(getattr(mine['activations.py'], name)(x), getattr(activations, name)(x), atol=1e-12)
    for kind in ('tanh', 'sigmoid', 'relu'):
        for name in ('actFun', 'diff_actFun'):
            np.testing.assert_allclose(getattr(mine['activations.py'], name)(x, kind),
                                       getattr(activations, name)(x, kind), atol=1e-12)
    probs = losses.softmax(x)
    np.testing.assert_allclose(mine['losses.py'].softmax(x), probs, atol=1e-12)
    assert math.isclose(mine['losses.py'].averageCE(target, probs), losses.averageCE(target, probs), rel_tol=1e-12)
    np.testing.assert_allclose(mine['losses.py'].gradCE(target, probs), losses.gradCE(target, probs), atol=1e-12)
    _check_two_layer(mine['two_layer.py'], rng)


def _check_two_layer(mine, rng):
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    params = two_layer.init_params(3, 5, 2, seed=4)
    for key, value in mine.init_params(3, 5, 2, seed=4).items():
        np.testing.assert_allclose(value, params[key], atol=1e-12)
    target, probs = np.eye(2)[y], two_layer.feedforward(x, params, 'relu')
    hidden = (params['W1'], params['b1'])
    np.testing.assert_allclose(mine.compute(x, *hidden), two_layer.compute(x, *hidden), atol=1e-12)
    calls = [('dL_dW_o', (target, probs, x @ params['W1'])), ('dL_db_o', (target, probs)),
             ('dL_dW_h', (target, probs, params['W2'], x, *hidden)),
             ('dL_db_h', (target, probs, params['W2'], x, *hidden)),
             ('feedforward', (x, params, 'sigmoid')), ('calculate_loss', (x, y, params, 'tanh', 0.1)),
             ('predict', (x, params, 'relu'))]
    for name, args in calls:
        np.testing.assert_allclose(getattr(mine, name)(*args), getattr(two_layer, name)(*args), atol=1e-12,
                                   err_msg=name)
    velocity = {key: np.ones_like(value) for key, value in params.items()}
    for got, expected in zip(mine.momentum_step(params, params, velocity, 0.1, 0.9),
                             two_layer.momentum_step(params, params, velocity, 0.1, 0.9)):
        assert got.keys() == expected.keys()
        for key in got:
            np.testing.assert_allclose(got[key], expected[key], atol=1e-12)
