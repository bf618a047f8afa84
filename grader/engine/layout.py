"""Where a batch's files go, and how any results file is written.

    OUT/results/<id>.json          the current result of each submission
    OUT/history/<UTC time>/<id>.json   results a regrade replaced (regrade.py)
    OUT/gradebook.csv, summary.*, report.html, regrade.csv   built from the results
"""

import json
import os
from pathlib import Path

RESULTS = 'results'


def result_path(out, ident):
    """OUT/results/<id>.json."""
    return Path(out) / RESULTS / f'{ident}.json'


def write_json_atomically(data, path):
    """Write JSON to path through a temporary file, so a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    tmp.write_text(json.dumps(data, indent=2) + '\n', encoding='utf-8')
    os.replace(tmp, path)
