"""A graded batch's scores matched with the course's roster, for the gradebook exports.

A roster maps submission ids to students: a CSV with a column of submission ids and any of
Canvas's student columns (Student, ID, SIS User ID, SIS Login ID, Section). A gradebook
exported from Canvas, with a column of submission ids added, is one; so is the export
alone when the submissions are named after a column it has (--id-column "SIS Login ID").

Nothing is dropped silently: submissions with no roster row, students with no submission
and submissions the harness could not grade are all returned, to be listed.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook import collect, outcome

STUDENT_COLUMNS = ('Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section')
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


def collect_and_match(out, roster=None):
    """The Export of a batch's output folder `out` (`grader batch` or `grader merge`)."""
    collected = collect([out])
    if not collected:
        raise ValueError(f'{out} holds no results')
    return match(collected, roster)
