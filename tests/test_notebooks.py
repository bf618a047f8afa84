"""Notebook submissions: definitions are graded, everything else is left out."""

import json
import time

import nbformat
import pytest

from grader.grading import grade
from tests.submissions import ROOT, failed
from tools import notebook

LONG_TRAINING = '''%matplotlib inline
!pip install nothing-at-all
X, y = load_moons(2000, noise=0.2, seed=1)
params, losses = fit_model(X, y, 50, num_passes=20000)
plot_decision_boundary(lambda Z: predict(Z, params), X, y)
'''


def reference_notebook(path, extra_cells=()):
    """The reference as a notebook, with a magic and a long training cell at the end."""
    modules = {name: (ROOT / 'solution' / f'{name}.py').read_text() for name in notebook.MODULE_ORDER}
    nb = notebook.build(modules, (ROOT / 'assignment' / 'README.md').read_text())
    nb.cells += [nbformat.v4.new_code_cell(code) for code in (LONG_TRAINING, *extra_cells)]
    path.write_text(notebook.render(nb))
    return path


def test_the_reference_as_a_notebook_scores_100_in_about_the_time_of_the_modules(tmp_path):
    path = reference_notebook(tmp_path / 'work.ipynb')
    start = time.monotonic()
    results = grade(path, 'all')
    as_notebook = time.monotonic() - start
    start = time.monotonic()
    assert grade(ROOT / 'solution', 'all')['score'] == 100
    as_modules = time.monotonic() - start
    assert results['score'] == 100, [(t['name'], t['output']) for t in failed(results)]
    assert as_notebook < 1.5 * as_modules + 2, (as_notebook, as_modules)


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
    assert grade(tmp_path / 'old.ipynb', 'public')['score'] == 49


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
