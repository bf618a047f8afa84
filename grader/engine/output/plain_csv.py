"""A plain gradebook CSV: a row per roster student and per submission, with the score."""

import csv

from ..text import spreadsheet_safe
from .roster import PLAIN_COLUMNS

NEEDS_ROSTER = False


def rows(matched):
    return matched.rows


def write(matched, path, column=None):
    """Every row, PLAIN_COLUMNS; cells that come from submission ids are made spreadsheet-safe,
    as in gradebook.csv."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=PLAIN_COLUMNS)
        writer.writeheader()
        writer.writerows({**row, 'submission_id': spreadsheet_safe(row['submission_id']),
                          'status': spreadsheet_safe(row['status'])} for row in matched.rows)
