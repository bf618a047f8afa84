"""Export to an LMS: Canvas's gradebook CSV and a plain one, from a roster with students who
handed nothing in and submissions nobody on the roster made."""

import csv
import json
import re
import subprocess
import sys

import pytest

from grader.engine.layout import RESULTS
from grader.engine.output import EXPORTS
from grader.engine.output.roster import collect_and_match, read_roster
from tests.submissions import ROOT

ROSTER = [
    ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', 'submission_id'],
    ['    Points Possible', '', '', '', '', ''],
    ['Lovelace, Ada', '101', 'S101', 'ada', 'CS 1 (A)', 'ada'],
    ['Okafor, Bo', '102', 'S102', 'bo', 'CS 1 (A)', 'bo'],
    ['Chen, Cy', '103', 'S103', 'cy', 'CS 1 (B)', 'cy'],           # handed nothing in
    ['Diaz, Dee', '104', 'S104', 'dee', 'CS 1 (B)', 'dee'],        # the harness failed on it
]


def export(out, target, name='csv', roster=None, column=None):
    """Write the gradebook of a batch folder in one of the export formats; the roster.Export."""
    matched = collect_and_match(out, roster)
    EXPORTS[name].write(matched, target, column)
    return matched


def results(score, outcome='graded', max_score=100):
    """A results file as `grader batch` writes one, reduced to what an export reads."""
    return {'score': score, 'execution_time': 1.0, 'tests': [],
            'output': 'The grader failed on this submission' if outcome == 'harness_error' else f'Score: {score}',
            'extra_data': {'outcome': outcome, 'max_score': 0 if outcome == 'harness_error' else max_score,
                           'suite': 'all', 'read_error': None}}


@pytest.fixture
def batch_out(tmp_path):
    """A batch's output: ada 87.5, bo 100, dee a harness error; zed and '=1+1' on no roster."""
    out = tmp_path / 'out'
    (out / RESULTS).mkdir(parents=True)
    for ident, data in {'ada': results(87.5), 'bo': results(100), 'dee': results(0, 'harness_error'),
                        'zed': results(42.25), '=1+1': results(3)}.items():
        (out / RESULTS / f'{ident}.json').write_text(json.dumps(data))
    return out


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / 'roster.csv'
    with open(path, 'w', newline='') as f:
        csv.writer(f).writerows(ROSTER)
    return path


def read(path):
    with open(path, newline='') as f:
        return list(csv.reader(f))


def test_canvas_layout_with_missing_and_extra_students(batch_out, roster, tmp_path):
    target = tmp_path / 'canvas.csv'
    matched = export(batch_out, target, 'canvas', read_roster(roster), 'Backprop (123)')
    assert read(target) == [
        ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', 'Backprop (123)'],
        ['    Points Possible', '', '', '', '', '100'],
        ['Lovelace, Ada', '101', 'S101', 'ada', 'CS 1 (A)', '87.5'],
        ['Okafor, Bo', '102', 'S102', 'bo', 'CS 1 (A)', '100'],
        ['Chen, Cy', '103', 'S103', 'cy', 'CS 1 (B)', ''],
        ['Diaz, Dee', '104', 'S104', 'dee', 'CS 1 (B)', ''],
    ]
    assert matched.unrostered == ['=1+1', 'zed']
    assert matched.missing == ['Chen, Cy']
    assert list(matched.ungraded) == ['dee']


def test_canvas_file_passes_the_checks_of_canvas_importer(batch_out, roster, tmp_path):
    """The rules of canvas-lms's lib/gradebook_importer.rb: a header that starts Student, ID
    and ends its student columns with Section (SIS User ID and SIS Login ID after ID); an
    assignment column "Title (id)"; a row whose first cell holds "Points Possible"."""
    target = tmp_path / 'canvas.csv'
    export(batch_out, target, 'canvas', read_roster(roster), 'Backprop (123)')
    header, points, *students = read(target)
    assert 'Student' in header[0] and 'ID' in header[1]
    assert re.fullmatch(r'SIS\s+User\s+ID', header[2]) and re.fullmatch(r'SIS\s+Login\s+ID', header[3])
    assert 'Section' in header[4]
    assert re.fullmatch(r'(.*)\s\((\d+)\)', header[5])
    assert re.search('Points Possible', points[0]) and points[5] == '100'
    assert all(len(row) == len(header) for row in students)


def test_plain_csv_keeps_every_submission_and_student(batch_out, roster, tmp_path):
    target = tmp_path / 'plain.csv'
    export(batch_out, target, 'csv', read_roster(roster))
    with open(target, newline='') as f:
        rows = {row['submission_id']: row for row in csv.DictReader(f)}
    assert list(rows) == ['ada', 'bo', 'cy', 'dee', "'=1+1", 'zed']
    assert rows['ada']['score'] == '87.5' and rows['ada']['percent'] == '87.5' and rows['ada']['status'] == 'graded'
    assert rows['cy']['score'] == '' and rows['cy']['status'] == 'no submission'
    assert rows['dee']['score'] == '' and rows['dee']['status'].startswith('not graded: The grader failed')
    assert rows['zed']['Student'] == '' and rows['zed']['score'] == '42.25'


def test_a_canvas_export_is_a_roster_when_submissions_are_named_by_login(batch_out, tmp_path):
    export = tmp_path / 'canvas-export.csv'
    with open(export, 'w', newline='') as f:
        csv.writer(f).writerows(row[:5] for row in ROSTER)
    roster = read_roster(export, 'SIS Login ID')
    assert list(roster) == ['ada', 'bo', 'cy', 'dee']
    assert roster['ada']['Student'] == 'Lovelace, Ada'


def test_a_roster_without_the_id_column_or_with_a_repeated_id_is_refused(roster, tmp_path):
    with pytest.raises(ValueError, match="no column 'student'"):
        read_roster(roster, 'student')
    twice = tmp_path / 'twice.csv'
    with open(twice, 'w', newline='') as f:
        csv.writer(f).writerows([*ROSTER, ROSTER[2]])
    with pytest.raises(ValueError, match="'ada' is on two rows"):
        read_roster(twice)


def test_results_of_different_suites_are_refused(batch_out, tmp_path):
    (batch_out / RESULTS / 'ada.json').write_text(json.dumps(results(40, max_score=49)))
    with pytest.raises(ValueError, match='different maximum scores'):
        export(batch_out, tmp_path / 'x.csv')


def test_the_command_line_lists_what_it_could_not_match(batch_out, roster, tmp_path):
    command = [sys.executable, '-m', 'grader', 'export', str(batch_out), '--format', 'canvas', '--roster', str(roster),
               '--column', 'Backprop (123)', '--out', str(tmp_path / 'canvas.csv')]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 'submissions with no roster row (left out of the file), 2:\n  - =1+1\n  - zed' in done.stdout
    assert 'students with no submission (score left blank), 1:\n  - Chen, Cy' in done.stdout
    assert 'could not grade (score left blank), 1:\n  - dee: The grader failed' in done.stdout
    refused = subprocess.run(command[:-6] + ['--out', str(tmp_path / 'x.csv')], cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2 and 'needs --roster and --column' in refused.stderr
