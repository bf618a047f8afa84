"""Notebook submissions: definitions are graded, everything else is left out."""

import json
import shutil
import sys

import nbformat
import pytest

from grader.engine.intake.notebook import definitions
from grader.engine.intake.submission import prepare
from grader.engine.sandbox.worker.runner import Runner
from grader.spec import SPEC
from tests.submissions import MODULE_FILES, PARTS_1_AND_2, PARTS_1_TO_5, ROOT, failed, grade, reference_score
from tools import notebook

OWN = {SPEC.package, *(module.name for module in SPEC.modules), *SPEC.provided}

LONG_TRAINING = '''%matplotlib inline
!pip install nothing-at-all
X, y = load_moons(2000, noise=0.2, seed=1)
params, losses = fit_model(X, y, 50, num_passes=20000)
plot_decision_boundary(lambda Z: predict(Z, params), X, y)
'''


def reference_notebook(path, extra_cells=()):
    """The reference as a notebook, with a magic and a long training cell at the end."""
    modules = {module.name: (ROOT / 'solution' / module.file).read_text() for module in SPEC.modules}
    nb = notebook.build(modules, (ROOT / 'assignment' / 'README.md').read_text())
    nb.cells += [nbformat.v4.new_code_cell(code) for code in (LONG_TRAINING, *extra_cells)]
    path.write_text(notebook.render(nb))
    return path


def test_the_reference_as_a_notebook_scores_100(tmp_path):
    """Its long training cell, were it run, would not let the notebook import in time."""
    results = grade(reference_notebook(tmp_path / 'work.ipynb'), 'all')
    assert results['score'] == 100, [(t['name'], t['output']) for t in failed(results)]


def test_the_skeleton_notebook_scores_0():
    results = grade(ROOT / 'assignment' / 'assignment.ipynb', 'all')
    assert results['score'] == 0
    assert {t['extra_data']['outcome'] for t in results['tests']} == {'not_implemented'}


def test_a_cell_with_a_syntax_error_is_reported_and_skipped(tmp_path):
    nb = nbformat.read(reference_notebook(tmp_path / 'a.ipynb'), as_version=4)
    softmax_cell = next(c for c in nb.cells if c.source.startswith('def softmax('))
    softmax_cell.source = softmax_cell.source.replace('def softmax(x):', 'def softmax(x:')
    (tmp_path / 'b.ipynb').write_text(nbformat.writes(nb))
    results = grade(tmp_path / 'b.ipynb', 'all')
    number = nb.cells.index(softmax_cell) + 1
    assert f'cell {number} was skipped: SyntaxError' in results['output']
    lost = {tag for t in failed(results) for tag in t['tags']}
    assert 'softmax' in lost and 'relu' not in lost and 'dL_db_o' not in lost
    assert 0 < results['score'] < 100


def test_a_notebook_of_an_older_minor_version_is_read(tmp_path):
    nb = nbformat.read(reference_notebook(tmp_path / 'a.ipynb'), as_version=4)
    nb.nbformat_minor = 2
    for cell in nb.cells:
        cell.pop('id', None)
    (tmp_path / 'old.ipynb').write_text(json.dumps(nb))
    assert grade(tmp_path / 'old.ipynb', 'public', PARTS_1_AND_2)['score'] == reference_score('public', PARTS_1_AND_2)


@pytest.mark.parametrize('content, message', [
    ('this is not json', 'is not a notebook: it is not JSON'),
    ('{"hello": "world"}', 'is not a Jupyter notebook'),
    (json.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('# only text')])), 'has no code cells'),
], ids=['not JSON', 'not a notebook', 'no code cells'])
def test_bad_notebooks_get_a_clear_zero(tmp_path, content, message):
    path = tmp_path / 'bad.ipynb'
    path.write_text(content)
    results = grade(path, 'public')
    assert results['score'] == 0
    assert all(message in t['output'] for t in results['tests']), results['tests'][0]['output']


def test_make_grade_accepts_the_notebook(tmp_path):
    import subprocess
    import sys
    done = subprocess.run([sys.executable, '-m', 'grader', 'grade', 'assignment/assignment.ipynb',
                           '--out', str(tmp_path / 'r.json')], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and 'not attempted yet' in done.stdout


# A correct notebook in other styles: module-level dispatch tables, lambdas, constants built
# with numpy, comprehensions, an alias of a library function, a try/except import.
STYLED_DEFINITIONS = [
    """import math
import numpy as np
try:
    from scipy.special import expit
except ImportError:
    expit = None""",
    """EPS = np.finfo(float).eps
TINY = np.finfo(np.float64).tiny
ACTIVATIONS = ('tanh', 'sigmoid', 'relu')
relu = lambda x: np.maximum(x, 0.0)
tanh = np.tanh


def gradRelu(x):
    return (np.asarray(x) > 0).astype(float)


def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_FORWARD = {'tanh': tanh, 'sigmoid': sigmoid, 'relu': relu}
_DERIVATIVE = {name: fn for name, fn in zip(ACTIVATIONS, (lambda z: 1.0 - np.tanh(z) ** 2,
                                                         lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
                                                         gradRelu))}
assert set(_FORWARD) == set(_DERIVATIVE)


def actFun(z, type):
    if type not in _FORWARD:
        raise ValueError(type)
    return _FORWARD[type](z)


def diff_actFun(z, type):
    if type not in _DERIVATIVE:
        raise ValueError(type)
    return _DERIVATIVE[type](z)""",
    """def softmax(x):
    shifted = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)


def averageCE(target, prediction):
    return float(-np.sum(target * np.log(np.maximum(prediction, TINY))) / len(target))


gradCE = lambda target, prediction: (prediction - target) / len(target)""",
]

# Cells a notebook runs for itself: none of them may run at grading time.
PROOF_DEFINITION = """def write_proof(path):
    with open(path, 'w') as f:
        f.write('this cell ran')
    return path"""
NOT_RUN = """import time
import matplotlib.pyplot as plt
written = write_proof(PROOF)
nap = time.sleep(60)
time.sleep(60)
handle = open(PROOF, 'w')
fig = plt.figure()
from assignment.data import load_moons
X, y = load_moons(200, noise=0.2, seed=0)
X_scaled = (X - X.mean(axis=0)) / X.std(axis=0)
params, losses = fit_model(X, y, 3, num_passes=10 ** 9)
naps = [time.sleep(60) for _ in range(3)]
print('trained')"""


def styled_cells(proof):
    """The styled definitions, the reference's two_layer and deep, and cells that must not run."""
    sources = {name: (ROOT / 'solution' / f'{name}.py').read_text() for name in ('two_layer', 'deep')}
    definitions_ = [*STYLED_DEFINITIONS, *notebook.function_cells(sources['two_layer']),
                    *notebook.function_cells(sources['deep']), PROOF_DEFINITION, f'PROOF = {str(proof)!r}']
    return definitions_, [NOT_RUN, '%time write_proof(PROOF)']


def write_notebook(path, cells):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells])
    path.write_text(nbformat.writes(nb))
    return path


def py_twin(folder, cells):
    """The same definitions as modules: one file holding every cell, re-exported by the four."""
    folder.mkdir()
    (folder / 'common.py').write_text('\n\n\n'.join(cells) + '\n')
    for name in MODULE_FILES:
        (folder / name).write_text('from .common import *  # noqa: F401,F403\n')
    return folder


def import_notebook(path, tmp_path, name):
    """The module `notebook` of a notebook submission, imported in this process (trusted code only)."""
    package = tmp_path / name
    shutil.copytree(prepare(path, tmp_path / f'{name}-work', SPEC).root, package)
    runner = Runner(package)
    runner.module('activations')
    return sys.modules[f'{name}.notebook'], runner


def test_a_styled_notebook_scores_as_its_py_twin_and_runs_none_of_its_own_calls(tmp_path):
    proof = tmp_path / 'proof.txt'
    kept, extra = styled_cells(proof)
    path = write_notebook(tmp_path / 'styled.ipynb', kept + extra)
    as_notebook = grade(path, 'all', PARTS_1_TO_5)
    as_modules = grade(py_twin(tmp_path / 'twin', kept), 'all', PARTS_1_TO_5)
    assert as_modules['score'] == PARTS_1_TO_5.points, [(t['name'], t['output']) for t in failed(as_modules)]
    assert as_notebook['score'] == as_modules['score'], [(t['name'], t['output']) for t in failed(as_notebook)]
    module, _ = import_notebook(path, tmp_path, 'styled_in_process')
    assert not proof.exists()
    assert module.__grader_notes__ == [] and '_FORWARD' in vars(module) and callable(module.gradCE)
    for name in ('written', 'nap', 'handle', 'fig', 'X', 'X_scaled', 'params', 'naps'):
        assert name not in vars(module), name


def test_a_kept_statement_that_fails_is_reported_and_skipped(tmp_path):
    kept, _ = styled_cells(tmp_path / 'proof.txt')
    kept[1] = kept[1].replace('ACTIVATIONS = (', 'SHAPE = np.zeros((2, 3)) @ np.zeros((2, 3))\nACTIVATIONS = (')
    path = write_notebook(tmp_path / 'failing.ipynb', kept)
    module, _ = import_notebook(path, tmp_path, 'failing_in_process')
    [note] = module.__grader_notes__
    assert note.startswith('cell 2, line 3: `SHAPE = np.zeros((2, 3)) @ np.zeros((2, 3))` failed (ValueError: ')
    assert note.endswith('; it was skipped') and 'ACTIVATIONS' in vars(module)
    assert grade(path, 'public', PARTS_1_TO_5)['score'] == reference_score('public', PARTS_1_TO_5)


def test_a_failed_statement_reaches_the_results(tmp_path):
    kept, _ = styled_cells(tmp_path / 'proof.txt')
    kept[1] = 'SHAPE = np.zeros((2, 3)) @ np.zeros((2, 3))\n' + kept[1]
    results = grade(write_notebook(tmp_path / 'failing.ipynb', kept), 'public')
    assert 'cell 2, line 1: `SHAPE = np.zeros((2, 3)) @ np.zeros((2, 3))` failed (ValueError' in results['output']


def test_a_traceback_names_the_notebook_cell(tmp_path):
    kept, _ = styled_cells(tmp_path / 'proof.txt')
    kept[2] = kept[2].replace('    e = np.exp(shifted)\n', '    e = np.exp(shifted) * undefined_scale\n')
    results = grade(write_notebook(tmp_path / 'broken.ipynb', kept), 'public')
    softmax = [t['output'] for t in failed(results) if 'softmax' in t['tags']]
    assert softmax and all('notebook cell 3, line 3, in softmax' in text for text in softmax), softmax
    assert "NameError: name 'undefined_scale' is not defined" in softmax[0]


def test_an_assignment_a_function_needs_but_that_is_not_run_is_noted(tmp_path):
    cells = ['import numpy as np', 'def train():\n    return 3', 'SIZE = train()',
             'def relu(x):\n    return np.maximum(x, 0) * SIZE']
    program = definitions(write_notebook(tmp_path / 'a.ipynb', cells), OWN)
    assert program.notes == ('cell 3, line 1: `SIZE = train()` was not run (it calls train, which the notebook '
                             'defines), so SIZE is undefined for the functions that use it',)
    assert 'notebook_cell_3.py' not in program.files


def test_a_cell_nested_too_deeply_is_skipped_with_a_note(tmp_path):
    deep_but_readable = 'SCALE = train(' + ' + '.join(['1'] * 900) + ')'
    cells = ['import numpy as np', 'x = ' + '-' * 200000 + '1', 'def relu(x):\n    return np.maximum(x, 0) * SCALE',
             'def train(n):\n    return n', deep_but_readable]
    program = definitions(write_notebook(tmp_path / 'deep.ipynb', cells), OWN)
    assert program.notes[0] == 'cell 2 was skipped: its code is nested too deeply to be read'
    assert program.notes[1].startswith('cell 5, line 1: `') and 'SCALE is undefined' in program.notes[1]
    assert 'def relu' in program.files['notebook_cell_3.py'] and 'notebook_cell_5.py' not in program.files
