"""What the command line says when it is given something it cannot grade."""

import subprocess
import sys

from grader.spec import SPEC


def run(*args):
    done = subprocess.run([sys.executable, '-m', 'grader', *args], capture_output=True, text=True, cwd=SPEC.root,
                          timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_parts_that_are_no_numbers_are_named_as_such():
    code, _, error = run('grade', 'assignment', '--parts', 'abc')
    assert code == 2
    assert "argument --parts: 'abc': expected part numbers such as 1-5 or 1,2,6" in error
    assert 'parse_parts' not in error


def test_a_part_the_assignment_lacks_is_refused_with_the_parts_it_has():
    code, _, error = run('grade', 'assignment', '--parts', '9')
    assert code == 2
    assert error.splitlines()[0].startswith('usage: python -m grader grade ')
    assert 'has no part 9; its parts are 1-8' in error


def test_batch_help_shows_its_default_suite():
    _, out, _ = run('batch', '--help')
    assert '--suite {public,all}  (default: all)' in out


def test_an_unreadable_submission_is_said_once_before_the_table(tmp_path):
    upload = tmp_path / 'hand-in.zip'
    upload.write_text('not a zip')
    code, out, _ = run('grade', str(upload), '--out', str(tmp_path / 'results.json'))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith('The submission could not be read, so no test could run: hand-in.zip is not a '
                               'readable zip archive')
    assert sum('hand-in.zip' in line for line in lines) <= 2
    assert len(lines) < 30


def test_merge_of_folders_without_results_is_refused(tmp_path):
    (tmp_path / 'shard').mkdir()
    code, _, error = run('merge', str(tmp_path / 'shard'), '--out', str(tmp_path / 'merged'))
    assert code == 2 and 'no results in' in error and 'batch --out' in error
    assert not (tmp_path / 'merged').exists()
