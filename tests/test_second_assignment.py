"""The engine grades another homework: least squares (tests/least_squares), through the same
command line, as a folder, a zip, a notebook and a batch, with no line of grader/engine
that knows either homework."""

import csv
import json
import re
import subprocess
import sys
import zipfile

import nbformat

from tests.submissions import ROOT

LSQ = ROOT / 'tests' / 'least_squares'
ENGINE = ROOT / 'grader' / 'engine'
# What the engine must never name: this homework's modules, functions and package.
HOMEWORK_NAMES = re.compile(r"two_layer|dL_dW|actFun|gradRelu|softmax|averageCE|['\"]assignment['\"]")


def grader(*args):
    done = subprocess.run([sys.executable, '-m', 'grader', *map(str, args), '--assignment', LSQ], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def grade(source, tmp_path, suite='all'):
    out = tmp_path / 'results.json'
    grader('grade', source, '--suite', suite, '--out', out)
    return json.loads(out.read_text())


def notebook_of(source, path):
    """A notebook whose cells hold a module's source, one function per cell, and a training call."""
    functions = re.split(r'\n(?=def )', source)
    cells = [nbformat.v4.new_code_cell(text.strip()) for text in functions]
    cells.append(nbformat.v4.new_code_cell('w = fit_weights(np.eye(2), np.ones(2))\nprint(predict(np.eye(2), w))'))
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)))
    return path


def test_the_reference_scores_full_marks_as_a_folder_a_zip_and_a_notebook(tmp_path):
    results = grade(LSQ / 'solution', tmp_path)
    assert results['score'] == results['extra_data']['max_score'] == 10
    assert results['extra_data']['parts'] == ['1. Fitting', '2. Predicting']
    with zipfile.ZipFile(tmp_path / 'work.zip', 'w') as zf:
        zf.write(LSQ / 'solution' / 'regression.py', 'deep/inside/regression.py')
    assert grade(tmp_path / 'work.zip', tmp_path)['score'] == 10
    source = (LSQ / 'solution' / 'regression.py').read_text()
    assert grade(notebook_of(source, tmp_path / 'work.ipynb'), tmp_path)['score'] == 10


def test_the_skeleton_scores_zero_and_a_bug_loses_its_part(tmp_path):
    skeleton = grade(LSQ / 'skeleton', tmp_path)
    assert skeleton['score'] == 0
    assert {t['extra_data']['outcome'] for t in skeleton['tests']} == {'not_implemented'}
    (tmp_path / 'bug').mkdir()
    (tmp_path / 'bug' / 'regression.py').write_text(
        (LSQ / 'solution' / 'regression.py').read_text().replace('return X @ w', 'return X @ w + 1.0'))
    results = grade(tmp_path / 'bug', tmp_path)
    assert results['score'] == 6 and {t['extra_data']['part'] for t in results['tests'] if t['score'] == 0} == {
        '2. Predicting'}


def test_a_batch_of_the_second_homework(tmp_path):
    subs = tmp_path / 'subs'
    subs.mkdir()
    (subs / 'ada').mkdir()
    (subs / 'ada' / 'regression.py').write_text((LSQ / 'solution' / 'regression.py').read_text())
    (subs / 'bo').mkdir()
    (subs / 'bo' / 'regression.py').write_text((LSQ / 'skeleton' / 'regression.py').read_text())
    grader('batch', subs, '--out', tmp_path / 'out', '--jobs', '2')
    with open(tmp_path / 'out' / 'gradebook.csv', newline='') as f:
        rows = {row['id']: row for row in csv.DictReader(f)}
    assert rows['ada']['score'] == '10' and rows['bo']['score'] == '0'
    assert rows['ada']['1. Fitting'] == '6' and rows['ada']['2. Predicting'] == '4'


def test_the_engine_names_nothing_of_either_homework():
    named = [f'{path.relative_to(ROOT)}:{number}: {line.strip()}' for path in sorted(ENGINE.rglob('*.py'))
             for number, line in enumerate(path.read_text().splitlines(), start=1)
             if HOMEWORK_NAMES.search(line) or 'fit_weights' in line or 'least squares' in line.lower()]
    assert not named, '\n'.join(named)
