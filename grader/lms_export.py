"""A graded batch's scores as a gradebook to import: Canvas's CSV layout, or a plain CSV.

A roster maps submission ids to students: a CSV with a column of submission ids and any of
Canvas's student columns (Student, ID, SIS User ID, SIS Login ID, Section). A gradebook
exported from Canvas, with a column of submission ids added, is one; so is the export
alone when the submissions are named after a column it has (--id-column "SIS Login ID").

Nothing is dropped silently: submissions with no roster row, students with no submission
and submissions the harness could not grade are all returned, to be listed.

Canvas's layout is that of its own gradebook export, which its import reads back
(canvas-lms: lib/gradebook_exporter.rb and lib/gradebook_importer.rb): a header row
Student, ID, SIS User ID, SIS Login ID, Section, then the assignment's column, named
"Title (id)" as Canvas exports it (a title alone matches an assignment by name, or makes a
new one); then a row "    Points Possible" with the assignment's points under its column;
then a row per student. Canvas finds the student by ID, else SIS User ID, else SIS Login
ID, else by name. A blank score leaves the grade in Canvas as it is.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook import collect, outcome, spreadsheet_safe

STUDENT_COLUMNS = ('Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section')
POINTS_POSSIBLE = '    Points Possible'     # as Canvas writes it; its import looks for "Points Possible"
PLAIN_COLUMNS = ('submission_id', *STUDENT_COLUMNS, 'score', 'max_score', 'percent', 'status')


@dataclass
class Export:
    """A batch's scores matched with a roster.

    - rows: one dict per roster student, in roster order, then one per submission with no
      roster row: PLAIN_COLUMNS as keys; score, max_score and percent are '' when there is
      no score to give; status is 'graded', 'not graded: <reason>' or 'no submission'
    - points: the assignment's points (the results' max_score)
    - unrostered: ids of submissions with no roster row
    - missing: the Student (or ID) of roster students with no submission
    - ungraded: {id: reason} of submissions the harness could not grade
    """

    rows: list
    points: float
    unrostered: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    ungraded: dict = field(default_factory=dict)


def read_roster(path, id_column='submission_id'):
    """{submission id: {student column: value}} from a roster CSV, in its order.

    Rows without a submission id (such as the "Points Possible" row of a Canvas export)
    are skipped. Raises ValueError when the id column is missing or an id repeats.
    """
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f)
        if id_column not in (reader.fieldnames or []):
            raise ValueError(f'{path} has no column {id_column!r} (its columns: {", ".join(reader.fieldnames or [])}); '
                             'name the column of submission ids with --id-column')
        roster = {}
        for row in reader:
            ident = (row.get(id_column) or '').strip()
            if not ident or 'Points Possible' in (row.get('Student') or ''):
                continue
            if ident in roster:
                raise ValueError(f'{path}: submission id {ident!r} is on two rows')
            roster[ident] = {column: (row.get(column) or '').strip() for column in STUDENT_COLUMNS}
    return roster


def assignment_points(collected):
    """The assignment's points: the max_score all graded results share (ValueError if they differ)."""
    maxima = {results['extra_data'].get('max_score') for results in collected.values()
              if outcome(results) != 'harness_error'}
    if len(maxima) != 1:
        raise ValueError(f'the results have different maximum scores ({sorted(maxima)}): grade them all with '
                         'one suite first' if maxima else 'no submission was graded')
    return maxima.pop()


def match(collected, roster=None):
    """Match results ({id: results}, as gradebook.collect gives) with a roster; an Export."""
    points = assignment_points(collected)
    matched = Export([], points)
    roster = roster or {}
    for ident, student in roster.items():
        matched.rows.append(_row(ident, student, collected.get(ident), points, matched))
        if ident not in collected:
            matched.missing.append(student['Student'] or student['ID'] or ident)
    for ident, results in collected.items():
        if ident not in roster:
            matched.rows.append(_row(ident, {}, results, points, matched))
            if roster:
                matched.unrostered.append(ident)
    return matched


def _row(ident, student, results, points, matched):
    """One row of PLAIN_COLUMNS; notes a harness error in matched.ungraded."""
    row = {'submission_id': ident, **{column: student.get(column, '') for column in STUDENT_COLUMNS},
           'score': '', 'max_score': '', 'percent': ''}
    if results is None:
        return {**row, 'status': 'no submission'}
    if outcome(results) == 'harness_error':
        matched.ungraded[ident] = results.get('output', '')
        return {**row, 'status': f"not graded: {results.get('output', '')}"}
    score = results['score']
    return {**row, 'score': _number(score), 'max_score': _number(points),
            'percent': _number(100 * score / points) if points else '', 'status': 'graded'}


def _number(value):
    """A number as Canvas writes one: at most two decimals, no trailing zeros."""
    return f'{round(value, 2):g}'


def rows_written(matched, file_format):
    """The rows a file of this format holds: for Canvas, those of roster students only."""
    if file_format == 'canvas':
        return [row for row in matched.rows if row['submission_id'] not in matched.unrostered]
    return matched.rows


def write_canvas(matched, assignment, path):
    """Canvas's gradebook CSV: the header, the Points Possible row, a row per roster student.

    Submissions with no roster row are left out (Canvas would make them new students);
    matched.unrostered names them. Student cells are written as the roster has them, so
    that Canvas matches them exactly.
    """
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow([*STUDENT_COLUMNS, assignment])
        writer.writerow([POINTS_POSSIBLE, '', '', '', '', _number(matched.points)])
        writer.writerows([*(row[column] for column in STUDENT_COLUMNS), row['score']]
                         for row in rows_written(matched, 'canvas'))


def write_plain(matched, path):
    """A plain CSV of every row, PLAIN_COLUMNS; cells that come from submission ids are made
    spreadsheet-safe, as in gradebook.csv."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=PLAIN_COLUMNS)
        writer.writeheader()
        writer.writerows({**row, 'submission_id': spreadsheet_safe(row['submission_id']),
                          'status': spreadsheet_safe(row['status'])} for row in matched.rows)


def write(out, target, file_format='csv', roster=None, assignment=None):
    """Write the gradebook of a batch's output folder `out` to `target`; returns the Export.

    Inputs:
    - out: the --out folder of `grader batch` or `grader merge`
    - target: the CSV to write
    - file_format: 'canvas' (needs roster and assignment) or 'csv'
    - roster: {submission id: student columns}, as read_roster gives, or None
    - assignment: the Canvas column name, e.g. 'Homework 3 (12345)'
    """
    collected = collect([out])
    if not collected:
        raise ValueError(f'{out} holds no results')
    matched = match(collected, roster)
    if file_format == 'canvas':
        write_canvas(matched, assignment, Path(target))
    else:
        write_plain(matched, Path(target))
    return matched
