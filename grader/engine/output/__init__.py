"""Every form results leave the engine in.

For one submission: gradescope.py (Gradescope's results.json, also the engine's own
record), terminal.py (the table a student reads), classroom.py (GitHub Classroom's
reporter). For a batch: gradebook.py (gradebook.csv, summary.json/.md/.png and the class
report) and the gradebook exports listed in EXPORTS, which `python -m grader export
--format NAME` writes. An export is one module with NEEDS_ROSTER, rows(matched) and
write(matched, path, column): add its file here and its name to EXPORTS.
"""

from . import canvas, plain_csv

EXPORTS = {'canvas': canvas, 'csv': plain_csv}
