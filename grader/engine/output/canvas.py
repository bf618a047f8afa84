"""Canvas's gradebook import: its CSV layout, the one Canvas exports and reads back.

canvas-lms lib/gradebook_exporter.rb and lib/gradebook_importer.rb: a header row Student,
ID, SIS User ID, SIS Login ID, Section, then the assignment's column, named "Title (id)"
as Canvas exports it (a title alone matches an assignment by name, or makes a new one);
then a row "    Points Possible" with the assignment's points under its column; then a
row per student. Canvas finds the student by ID, else SIS User ID, else SIS Login ID,
else by name. A blank score leaves the grade in Canvas as it is.
"""

import csv

from .roster import STUDENT_COLUMNS

NEEDS_ROSTER = True
POINTS_POSSIBLE = '    Points Possible'     # as Canvas writes it; its import looks for "Points Possible"


def rows(matched):
    """The rows of the file: those of roster students (Canvas would make others new students)."""
    return [row for row in matched.rows if row['submission_id'] not in matched.unrostered]


def write(matched, path, column):
    """Canvas's gradebook CSV: the header, the Points Possible row, a row per roster student.

    Inputs:
    - matched: roster.Export
    - path: the CSV to write
    - column: the assignment's column, e.g. 'Homework 3 (12345)'

    Student cells are written as the roster has them, so that Canvas matches them exactly.
    """
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow([*STUDENT_COLUMNS, column])
        writer.writerow([POINTS_POSSIBLE, '', '', '', '', f'{round(matched.points, 2):g}'])
        writer.writerows([*(row[name] for name in STUDENT_COLUMNS), row['score']] for row in rows(matched))
