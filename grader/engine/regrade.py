"""Grading again into an output folder that holds results: nothing is replaced without trace.

When a batch grades a submission again (its content, the suite or the grader version
changed, or --regrade asked for it), a new result that differs from the one on disk
replaces it only after the old one is kept as OUT/history/<UTC time of the run>/<id>.json.
A new result that says the same (timings aside) leaves the old file untouched. Then
OUT/regrade.csv lists, for the run, every submission whose score or any test's outcome
changed; a copy stays in the run's history folder.
"""

import csv
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from .layout import RESULTS, write_json_atomically
from .text import spreadsheet_safe

HISTORY = 'history'
REPORT = 'regrade.csv'
COLUMNS = ('id', 'old_score', 'new_score', 'changed_tests')
ABSENT = 'absent'          # the outcome of a test that one of the two results does not have


def history_folder(out, now=None):
    """OUT/history/<UTC time>, e.g. history/20250314T091502.123456Z; not created here."""
    now = now or datetime.now(timezone.utc)
    return Path(out) / HISTORY / now.strftime('%Y%m%dT%H%M%S.%fZ')


def replace_result(results, path, history):
    """Write `results` to `path`, keeping a different earlier result in `history` first.

    Inputs:
    - results: the new results dict
    - path: OUT/results/<id>.json
    - history: this run's history folder (created when needed)

    Returns:
    - 'new' (no earlier result), 'kept' (the earlier one says the same and stays) or
      'replaced' (the earlier one is in history)
    """
    path = Path(path)
    if not path.exists():
        write_json_atomically(results, path)
        return 'new'
    if _substance(_read(path)) == _substance(results):
        return 'kept'
    history.mkdir(parents=True, exist_ok=True)
    # A second name for the old file, then an atomic replace of the first: killed between
    # the two, the old result is still in place and only graded again.
    try:
        os.link(path, history / path.name)
    except FileExistsError:
        pass
    except OSError:
        shutil.copy2(path, history / path.name)
    write_json_atomically(results, path)
    return 'replaced'


def _read(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _substance(results):
    """A results dict without what changes from one grading to the next: the times, and the
    user a worker ran as (each worker gets one of its own)."""
    if not isinstance(results, dict):
        return results
    tests = [{**test, 'extra_data': {k: v for k, v in test.get('extra_data', {}).items() if k != 'duration'}}
             for test in results.get('tests', []) if isinstance(test, dict)]
    extra = results.get('extra_data')
    if isinstance(extra, dict):
        extra = {k: v for k, v in extra.items() if k != 'worker_user'}
    return {**{k: v for k, v in results.items() if k != 'execution_time'}, 'tests': tests, 'extra_data': extra}


def changed_tests(old, new):
    """'name: old outcome -> new outcome' for every test whose outcome differs, in the new
    result's order, then tests only the old result has."""
    before, after = _outcomes(old), _outcomes(new)
    names = [*after, *(name for name in before if name not in after)]
    return [f'{name}: {before.get(name, ABSENT)} -> {after.get(name, ABSENT)}' for name in names
            if before.get(name, ABSENT) != after.get(name, ABSENT)]


def _outcomes(results):
    """{test name: outcome ('passed', 'wrong', 'not_implemented', ...)} of a results dict."""
    return {test['name']: test.get('extra_data', {}).get('outcome', test.get('status'))
            for test in (results or {}).get('tests', [])}


def write_report(out, history, ids):
    """regrade.csv for a run that graded `ids` again; returns its rows (dicts of COLUMNS).

    A row for every id whose earlier result is in `history` and whose score or test
    outcomes changed. Written to OUT/regrade.csv, and to the history folder when it exists.
    """
    rows = []
    for ident in sorted(ids):
        old, new = _read(history / f'{ident}.json'), _read(Path(out) / RESULTS / f'{ident}.json')
        if old is None or new is None:
            continue
        changes = changed_tests(old, new)
        if changes or old.get('score') != new.get('score'):
            rows.append({'id': ident, 'old_score': old.get('score'), 'new_score': new.get('score'),
                         'changed_tests': '; '.join(changes)})
    for folder in (Path(out), history):
        if folder.is_dir():
            with open(folder / REPORT, 'w', newline='', encoding='utf-8') as f:
                writer = csv.DictWriter(f, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows({**row, 'id': spreadsheet_safe(row['id']),
                                  'changed_tests': spreadsheet_safe(row['changed_tests'])} for row in rows)
    return rows
