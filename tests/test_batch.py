"""Batch grading: one result per submission, resumable, shardable, mergeable."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from grader.engine import batch
from grader.engine.output import gradebook
from tests.submissions import PARTS_1_AND_2, ROOT, build, parts_option
from tests.test_mutants import BUGS


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    """Eight submissions: the reference, the skeleton, four bugs, a broken zip, a zipped notebook-free copy."""
    root = tmp_path_factory.mktemp('submissions')
    build(root / 'ada')
    build(root / 'bo', base='assignment')
    for number, (_, file, old, new, _, _) in enumerate(BUGS[:4]):
        build(root / f'bug{number}', replace=[(file, old, new)])
    (root / 'broken.zip').write_bytes(b'PK\x03\x04 not a zip')
    with zipfile.ZipFile(root / 'zed.zip', 'w') as zf:
        for path in (ROOT / 'solution').glob('*.py'):
            zf.write(path, f'zed/{path.name}')
    (root / 'notes.txt').write_text('not a submission')
    return root


# The bugs are in losses.py: parts 1-2 grade them, and keep every batch below to seconds.
@pytest.fixture(scope='module')
def unsharded(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp('out')
    graded, kept = batch.run(PARTS_1_AND_2, folder, out, jobs=2, progress=False)
    gradebook.write(gradebook.collect([out]), out)
    return out, graded, kept


def read_gradebook(out):
    with open(out / 'gradebook.csv') as f:
        return {row['id']: row for row in csv.DictReader(f)}


def test_every_submission_gets_one_result_and_one_row(unsharded):
    out, graded, kept = unsharded
    ids = ['ada', 'bo', 'broken', 'bug0', 'bug1', 'bug2', 'bug3', 'zed']
    assert graded == ids and kept == []
    assert sorted(p.stem for p in (out / 'results').glob('*.json')) == ids
    book = read_gradebook(out)
    assert list(book) == ids
    assert float(book['ada']['score']) == float(book['zed']['score']) == PARTS_1_AND_2.points
    assert book['bo']['score'] == '0' and book['broken']['outcome'] == 'unreadable'
    assert all(float(book[f'bug{n}']['score']) < PARTS_1_AND_2.points for n in range(4))
    assert float(book['ada']['1. Activations']) == PARTS_1_AND_2.parts[0].points


def test_the_summary_counts_and_explains(unsharded):
    out, _, _ = unsharded
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['count'] == 8 and summary['graded'] == 8
    assert summary['unreadable'][0]['id'] == 'broken'
    assert 0 < summary['mean'] < PARTS_1_AND_2.points
    assert all(0 <= rate <= 1 for rate in summary['pass_rate'].values())
    assert '# Grading summary' in (out / 'summary.md').read_text()
    assert (out / 'summary.png').read_bytes()[:4] == b'\x89PNG'


def test_a_rerun_keeps_up_to_date_results_and_regrades_changed_ones(folder, unsharded, tmp_path):
    out = tmp_path / 'out'
    shutil.copytree(unsharded[0], out)
    assert batch.run(PARTS_1_AND_2, folder, out, jobs=2, progress=False) == ([], ['ada', 'bo', 'broken', 'bug0', 'bug1',
                                                                    'bug2', 'bug3', 'zed'])
    changed = tmp_path / 'changed'
    shutil.copytree(folder, changed)
    (changed / 'bo' / 'losses.py').write_text((ROOT / 'solution' / 'losses.py').read_text())
    graded, _ = batch.run(PARTS_1_AND_2, changed, out, jobs=2, progress=False)
    assert graded == ['bo']


def test_sharded_and_merged_equals_unsharded(folder, unsharded, tmp_path):
    shards = [tmp_path / f'shard{k}' for k in (1, 2, 3)]
    for k, out in enumerate(shards, start=1):
        batch.run(PARTS_1_AND_2, folder, out, jobs=2, shard=(k, 3), progress=False)
    sizes = [len(list((out / 'results').glob('*.json'))) for out in shards]
    assert sum(sizes) == 8 and all(sizes), sizes
    merged = tmp_path / 'merged'
    gradebook.merge(shards, merged)
    assert (merged / 'gradebook.csv').read_text() == (unsharded[0] / 'gradebook.csv').read_text()
    assert (merged / 'summary.json').read_text() == (unsharded[0] / 'summary.json').read_text()


def test_kill_9_in_the_middle_and_a_rerun_give_one_result_each(folder, tmp_path):
    out = tmp_path / 'out'
    command = [sys.executable, '-m', 'grader', 'batch', str(folder), '--out', str(out), '--jobs', '2',
               '--parts', parts_option(PARTS_1_AND_2)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob('results/*.json'))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list(out.glob('results/*.json')))
    assert 2 <= finished < 8, 'the batch was killed in the middle'
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = sorted(p.stem for p in out.glob('results/*.json'))
    assert results == ['ada', 'bo', 'broken', 'bug0', 'bug1', 'bug2', 'bug3', 'zed']
    assert f'kept {finished}' in done.stdout or f'kept {finished - 1}' in done.stdout
    assert len(read_gradebook(out)) == 8


def test_two_entries_with_one_name_are_both_graded_under_their_full_names(tmp_path):
    build(tmp_path / 'subs' / 'amy')
    shutil.make_archive(str(tmp_path / 'subs' / 'amy'), 'zip', tmp_path / 'subs' / 'amy')
    build(tmp_path / 'subs' / 'bo')
    assert list(batch.submissions(tmp_path / 'subs')) == ['amy', 'amy.zip', 'bo']


def test_overlapping_shards_are_refused(unsharded, tmp_path):
    with pytest.raises(ValueError, match='shards overlap'):
        gradebook.merge([unsharded[0], unsharded[0]], tmp_path / 'merged')


def test_the_submissions_the_grader_failed_on_are_listed_to_grade_again(tmp_path):
    for ident, outcome in (('ada', 'graded'), ('bo', 'harness_error'), ('cy', 'harness_error')):
        path = tmp_path / 'results' / f'{ident}.json'
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps({'extra_data': {'outcome': outcome}}))
    assert batch.harness_errors(tmp_path, ['ada', 'bo', 'cy', 'gone']) == ['bo', 'cy']
    assert not batch.up_to_date(tmp_path / 'results' / 'bo.json', None, 'all'), 'a later run grades them again'


def test_a_folder_without_submissions_is_refused_and_nothing_is_written(tmp_path):
    """No warning, no empty report: a non-zero exit that says what a submission is."""
    (tmp_path / 'subs').mkdir()
    (tmp_path / 'subs' / 'notes.txt').write_text('not a submission')
    with pytest.raises(ValueError, match='holds no submission'):
        batch.run(PARTS_1_AND_2, tmp_path / 'subs', tmp_path / 'out', jobs=1, progress=False)
    (tmp_path / 'empty').mkdir()
    for folder, holds in (('subs', 'notes.txt'), ('empty', 'The folder is empty')):
        done = subprocess.run([sys.executable, '-m', 'grader', 'batch', str(tmp_path / folder), '--out',
                               str(tmp_path / 'out'), '--parts', parts_option(PARTS_1_AND_2)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done
        message = done.stderr.splitlines()[-1]
        assert 'holds no submission' in message and holds in message, message
        assert all(kind in message for kind in ('folder', '.zip', '.ipynb')), message
        assert 'arning' not in done.stderr and not done.stdout, done.stderr
    assert not (tmp_path / 'out').exists(), 'no results folder, no report'


def test_the_score_histogram_counts_whole_submissions(unsharded):
    """summary.png's histogram of a small batch has ticks at whole numbers of submissions."""
    out, _, _ = unsharded
    collected = gradebook.collect([out])
    table = gradebook.rows(collected)
    fig = gradebook.figure(gradebook.summary(collected), [row['percent'] for row in table], collected)
    ticks = fig.axes[0].get_yticks()
    assert all(tick == int(tick) for tick in ticks), ticks
