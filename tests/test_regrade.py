"""Grading again into an output folder: earlier results are kept in history/, never lost, and
regrade.csv says whose score and which tests changed."""

import csv
import json
import shutil
import subprocess
import sys

import pytest

from grader.engine import batch, regrade
from tests.submissions import PARTS_1_AND_2, ROOT, build, parts_option



@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    """The reference and the skeleton."""
    root = tmp_path_factory.mktemp('submissions')
    build(root / 'ada')
    build(root / 'bo', base='assignment')
    return root


@pytest.fixture(scope='module')
def public(folder, tmp_path_factory):
    """A batch graded with the public suite only."""
    out = tmp_path_factory.mktemp('out')
    assert batch.run(PARTS_1_AND_2, folder, out, jobs=2, suite='public', progress=False)[0] == ['ada', 'bo']
    return out


def read_report(path):
    with open(path, newline='') as f:
        return {row['id']: row for row in csv.DictReader(f)}


def test_a_changed_suite_regrades_and_keeps_the_earlier_results(folder, public, tmp_path):
    out = tmp_path / 'out'
    shutil.copytree(public, out)
    before = {path.name: path.read_bytes() for path in (out / 'results').glob('*.json')}
    public_score = json.loads(before['ada.json'])['score']
    history = regrade.history_folder(out)
    graded, kept = batch.run(PARTS_1_AND_2, folder, out, jobs=2, suite='all', progress=False, history=history)
    assert graded == ['ada', 'bo'] and kept == []
    assert {path.name: path.read_bytes() for path in history.glob('*.json')} == before
    rows = read_report(out / 'regrade.csv')
    assert (out / 'regrade.csv').read_text() == (history / 'regrade.csv').read_text()
    assert float(rows['ada']['old_score']) == public_score and float(rows['ada']['new_score']) == PARTS_1_AND_2.points
    # Tests of the hidden suite were absent from the public grading.
    assert ': absent -> passed' in rows['ada']['changed_tests']
    assert ': absent -> not_implemented' in rows['bo']['changed_tests'] and rows['bo']['new_score'] == '0'


def test_a_fixed_test_regrades_only_what_it_changes(folder, public, tmp_path):
    """The earlier grading had a broken test that failed ada's relu; `--regrade` after the fix."""
    out = tmp_path / 'out'
    shutil.copytree(public, out)
    earlier = json.loads((out / 'results' / 'ada.json').read_text())
    public_score = earlier['score']
    broken = next(test for test in earlier['tests'] if 'relu' in test['tags'])
    broken.update(status='failed', score=0, output='relu(x) returned wrong values')
    broken['extra_data']['outcome'] = 'wrong'
    earlier['score'] = public_score - broken['max_score']
    (out / 'results' / 'ada.json').write_text(json.dumps(earlier))
    untouched = (out / 'results' / 'bo.json').read_bytes()
    assert batch.run(PARTS_1_AND_2, folder, out, jobs=2, suite='public', progress=False)[0] == [], \
        'all were up to date'

    done = subprocess.run([sys.executable, '-m', 'grader', 'batch', str(folder), '--out', str(out), '--suite', 'public',
                           '--regrade', '--jobs', '2', '--parts', parts_option(PARTS_1_AND_2)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [history] = (out / 'history').iterdir()
    assert 'graded 2, kept 0 up-to-date results' in done.stdout
    assert f'graded 2 earlier results again: 1 changed, listed in {out / "regrade.csv"}; the results they ' \
           f'replace are in {history}' in done.stdout
    assert read_report(out / 'regrade.csv') == {'ada': {
        'id': 'ada', 'old_score': str(earlier['score']), 'new_score': str(public_score),
        'changed_tests': f"{broken['name']}: wrong -> passed"}}
    assert json.loads((history / 'ada.json').read_text()) == earlier
    assert sorted(path.name for path in history.iterdir()) == ['ada.json', 'regrade.csv']
    assert (out / 'results' / 'bo.json').read_bytes() == untouched, 'a result that says the same is left as it was'


def test_changed_tests_lists_outcomes_old_to_new():
    def results(**outcomes):
        return {'tests': [{'name': name, 'extra_data': {'outcome': outcome}} for name, outcome in outcomes.items()]}

    old, new = results(a='passed', b='wrong', c='error'), results(b='passed', a='passed', d='wrong')
    assert regrade.changed_tests(old, new) == ['b: wrong -> passed', 'd: absent -> wrong', 'c: error -> absent']


def test_a_result_that_only_took_longer_is_kept(tmp_path):
    path, history = tmp_path / 'a.json', tmp_path / 'history'
    old = {'score': 1, 'execution_time': 1.0, 'tests': [{'name': 't', 'extra_data': {'duration': 0.1}}]}
    path.write_text(json.dumps(old))
    slower = {'score': 1, 'execution_time': 9.0, 'tests': [{'name': 't', 'extra_data': {'duration': 5.0}}]}
    assert regrade.replace_result(slower, path, history) == 'kept' and not history.exists()
    assert regrade.replace_result({**slower, 'score': 2}, path, history) == 'replaced'
    assert json.loads((history / 'a.json').read_text()) == old and json.loads(path.read_text())['score'] == 2
