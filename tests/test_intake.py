"""Hostile and broken uploads: links, damaged archives, bombs, odd names. Every one gets a
complete result that says what was left out, and nothing outside it is ever read."""

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from grader.engine import batch
from grader.engine.output import gradebook
from grader.spec import SPEC
from tests import hostile
from tests.submissions import PARTS_1_AND_2, ROOT, build, failed, grade, parts_option, reference_score

SECRET = 'TOKEN-7f3a-must-never-appear'


def text_of(results):
    return json.dumps(results)


def lost(results):
    return {tag for test in failed(results) for tag in test['tags']}


def test_a_folder_whose_only_file_links_to_the_reference_scores_nothing(tmp_path):
    outside = hostile.reference_zip(tmp_path / 'reference.zip')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'work.zip').symlink_to(outside)
    results = grade(tmp_path / 'sub', 'public', PARTS_1_AND_2, sandbox='none')
    assert results['score'] == 0
    assert 'work.zip is a symbolic link' in failed(results)[0]['output']


@pytest.mark.parametrize('name, target', [('notes.ipynb', '/proc/self/environ'), ('token.ipynb', 'token'),
                                          ('activations.py', 'token')],
                         ids=['environ', 'token file', 'a module'])
def test_a_link_to_a_secret_leaks_nothing(tmp_path, monkeypatch, name, target):
    monkeypatch.setenv('GRADER_TEST_SECRET', SECRET)
    (tmp_path / 'token').write_text(f'{SECRET}\n{{"cells": []}}\n')
    folder = build(tmp_path / 'sub') if name.endswith('.py') else (tmp_path / 'sub')
    folder.mkdir(exist_ok=True)
    (folder / name).unlink(missing_ok=True)
    (folder / name).symlink_to(target if target.startswith('/') else tmp_path / target)
    results = grade(folder, 'all', PARTS_1_AND_2, sandbox='none')
    assert SECRET not in text_of(results)
    assert 'symbolic link' in results['output'] or 'symbolic link' in failed(results)[0]['output']
    if name.endswith('.py'):
        assert lost(results) and all(t['extra_data']['outcome'] == 'missing' for t in failed(results)
                                     if t['tags'] == ['relu'])


def test_a_link_inside_the_submission_is_followed(tmp_path):
    folder = build(tmp_path / 'sub')
    (folder / 'src').mkdir()
    (folder / 'losses.py').rename(folder / 'src' / 'losses.py')
    (folder / 'losses.py').symlink_to('src/losses.py')
    assert grade(folder, 'public', PARTS_1_AND_2, sandbox='none')['score'] == reference_score('public', PARTS_1_AND_2)


def test_a_link_entry_in_a_zip_is_never_followed(tmp_path):
    archive = hostile.reference_zip(tmp_path / 'work.zip', only={'losses.py', 'two_layer.py', 'deep.py'})
    hostile.add_link_entry(archive, 'activations.py', str(ROOT / 'solution' / 'activations.py'))
    hostile.add_link_entry(archive, 'lib', str(tmp_path / 'outside'))
    with zipfile.ZipFile(archive, 'a') as zf:
        zf.writestr('lib/helper.py', 'x = 1\n')      # through the link, were it one
    results = grade(archive, 'public', PARTS_1_AND_2, sandbox='none')
    assert 'activations.py is a symbolic link; links in archives are not followed' in results['output']
    relu = [t for t in failed(results) if t['tags'] == ['relu']]
    assert relu and relu[0]['extra_data']['outcome'] == 'missing'
    assert 'lib is a symbolic link' in results['output'] and not (tmp_path / 'outside').exists()


def test_in_a_batch_a_link_to_a_classmates_work_gets_no_score(tmp_path):
    subs = tmp_path / 'subs'
    subs.mkdir()
    hostile.reference_zip(subs / 'bob.zip')
    (subs / 'mallory').mkdir()
    (subs / 'mallory' / 'copy.zip').symlink_to('../bob.zip')
    (subs / 'eve.zip').symlink_to('bob.zip')
    out = tmp_path / 'out'
    batch.run(PARTS_1_AND_2, subs, out, jobs=2, suite='public', sandbox='none', progress=False)
    collected = gradebook.collect([out])
    assert collected['bob']['score'] == reference_score('public', PARTS_1_AND_2)
    assert collected['mallory']['score'] == collected['eve']['score'] == 0
    assert 'eve.zip is a symbolic link' in collected['eve']['extra_data']['read_error']


@pytest.mark.parametrize('method', [zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2],
                         ids=['deflate', 'lzma', 'bzip2'])
def test_a_damaged_entry_costs_only_its_module(tmp_path, method):
    archive = hostile.corrupt_entry(hostile.reference_zip(tmp_path / 'work.zip'), 'losses.py', method)
    results = grade(archive, 'all', PARTS_1_AND_2, sandbox='none')
    assert 'losses.py is damaged and was skipped' in results['output']
    assert {t['extra_data']['part'] for t in failed(results) if t['tags'] == ['softmax']} == {
        '2. Softmax and cross-entropy'}
    assert all(t['status'] == 'passed' for t in results['tests'] if t['extra_data']['part'] == '1. Activations')


@pytest.mark.parametrize('declared', [None, 1024], ids=['honest sizes', 'headers that lie'])
def test_a_zip_bomb_is_stopped_by_the_bytes_really_written(tmp_path, declared):
    archive = hostile.zip_bomb(tmp_path / 'bomb.zip', 256 * 2 ** 20, declared)
    assert archive.stat().st_size < 2 ** 20
    results, peak = hostile.grade_in_subprocess(archive, sandbox='none', parts=[1, 2])
    assert results['score'] == 0 and len(results['tests']) > 0
    reasons = results['output'] + failed(results)[0]['output']
    assert 'unpacks to more than 50 MiB' in reasons or 'activations.py is damaged' in reasons
    assert peak < 400, f'the grading process peaked at {peak:.0f} MiB'


def test_odd_names_are_skipped_with_a_note(tmp_path):
    archive = hostile.reference_zip(tmp_path / 'work.zip')
    with zipfile.ZipFile(archive, 'a') as zf:
        zf.writestr('x' * 300 + '.py', 'y = 1\n')
        zf.writestr('../escape.py', 'y = 1\n')
        zf.writestr('activations.py/inside.py', 'y = 1\n')
    results = grade(archive, 'public', PARTS_1_AND_2, sandbox='none')
    assert results['score'] == reference_score('public', PARTS_1_AND_2)
    assert 'was skipped: its name is longer than 255 bytes' in results['output']
    assert 'points outside the archive' in results['output']
    assert 'clashes with a folder or file of the same name' in results['output']


def run_cli(*args):
    return subprocess.run([sys.executable, '-m', 'grader', *map(str, args)], cwd=ROOT, capture_output=True,
                          timeout=600)


def test_a_name_flagged_utf8_that_is_not_gets_a_complete_result_and_exit_0(tmp_path):
    archive = hostile.invalid_utf8_name_zip(tmp_path / 'work.zip')
    done = run_cli('grade', archive, '--out', tmp_path / 'r.json', '--sandbox', 'none',
                   '--parts', parts_option(PARTS_1_AND_2))
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / 'r.json').read_text())
    assert results['score'] == 0
    assert len(results['tests']) == len(grade(ROOT / 'solution', 'public', PARTS_1_AND_2)['tests'])
    assert all('not valid UTF-8' in t['output'] for t in results['tests'])


def test_a_batch_with_odd_names_finishes_and_its_gradebook_is_safe_in_a_spreadsheet(tmp_path):
    subs = tmp_path / 'subs'
    subs.mkdir()
    for name in ('=1+1', '@SUM(1+1)', 'plain'):
        build(subs / name, base='assignment')
    os.mkdir(os.path.join(os.fsencode(subs), b'caf\xe9'))
    shutil.copy(ROOT / 'solution' / 'activations.py', os.path.join(os.fsencode(subs), b'caf\xe9', b'activations.py'))
    (subs / 'readme.txt').write_text('not a submission')
    done = run_cli('batch', subs, '--out', tmp_path / 'out', '--jobs', '2', '--suite', 'public', '--sandbox', 'none',
                   '--parts', parts_option(PARTS_1_AND_2))
    assert done.returncode == 0, done.stderr[-2000:]
    assert b'left out: readme.txt' in done.stdout
    with open(tmp_path / 'out' / 'gradebook.csv', newline='', encoding='utf-8') as f:
        ids = [row['id'] for row in csv.DictReader(f)]
    assert ids == ["'=1+1", "'@SUM(1+1)", 'caf\\xe9', 'plain']
    book = gradebook.collect([tmp_path / 'out'])
    assert book['caf\\xe9']['score'] > 0


@pytest.mark.parametrize('expression', ['1+' * 200_000 + '1', '-' * 200_000 + '1'], ids=['RecursionError', 'MemoryError'])
def test_a_notebook_with_a_very_deep_expression_is_still_graded(tmp_path, expression):
    import nbformat
    from tools import notebook
    modules = {module.name: (ROOT / 'solution' / module.file).read_text() for module in SPEC.modules}
    nb = notebook.build(modules, (ROOT / 'assignment' / 'README.md').read_text())
    nb.cells.append(nbformat.v4.new_code_cell('x = ' + expression))
    (tmp_path / 'deep.ipynb').write_text(notebook.render(nb))
    results = grade(tmp_path / 'deep.ipynb', 'public', PARTS_1_AND_2, sandbox='none')
    assert results['score'] == reference_score('public', PARTS_1_AND_2)
    assert f'cell {len(nb.cells)} was skipped' in results['output']
