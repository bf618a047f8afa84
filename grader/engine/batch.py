"""Grade a folder of submissions: in parallel, resumable, shardable; then the gradebook.

Every entry of the folder (a folder, a .zip or a .ipynb) is one submission, named by
its file name without extension. Each gets OUT/results/<id>.json, written atomically. A re-run
skips every submission whose result was made from the same content by the same grader
version, so a batch that was killed resumes where it stopped. The gradebook and the
summary are always built from the result files, which is what makes the merge of
sharded runs identical to an unsharded one. Grading again into a folder that holds
results keeps every result it replaces (grader/regrade.py).
"""

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import traceback
from pathlib import Path

from tqdm import tqdm

from . import __version__, regrade
from .grading import check_batch, grade, limits_of, submission_sha256
from .layout import RESULTS, result_path
from .text import clean

MAX_ID = 200

KINDS = ('.zip', '.ipynb')


def submissions(folder):
    """{id: path} of the submissions in a folder, sorted by id.

    An id is the entry's name without its extension, or its whole name when two
    entries would share one (alice/ and alice.zip); names that are not UTF-8 show
    their bytes as \\xNN. A symbolic link is listed like any entry, and grading it
    says that it was not followed.
    """
    entries = [path for path in sorted(Path(folder).iterdir())
               if not path.name.startswith('.') and (path.is_dir() or path.suffix.lower() in KINDS)]
    stems = [path.name if path.is_dir() and not path.is_symlink() else path.stem for path in entries]
    found = {}
    for path, stem in zip(entries, stems):
        ident = clean(stem if stems.count(stem) == 1 else path.name, MAX_ID)
        found[ident] = path
    return dict(sorted(found.items()))


def ignored(folder):
    """The names of a folder's entries that are not submissions (no folder, .zip or .ipynb)."""
    return sorted(clean(path.name, MAX_ID) for path in Path(folder).iterdir()
                  if not path.name.startswith('.') and not (path.is_dir() or path.suffix.lower() in KINDS))


def nothing_to_grade(folder):
    """Why a folder without submissions is refused: what a submission is, and what the folder holds."""
    others = ignored(folder)
    return (f'{folder} holds no submission to grade. A submission is one entry of that folder per student: a '
            'folder of modules, a .zip of one or a .ipynb notebook. '
            + (f'The folder holds only other files: {", ".join(others)}' if others else 'The folder is empty')
            + ' (names that start with a dot are skipped).')


def harness_errors(out, idents):
    """The ids among `idents` whose result in `out` is the grader's failure, not a grade:
    a later run grades them again (up_to_date)."""
    failed = []
    for ident in idents:
        try:
            outcome = json.loads(result_path(out, ident).read_text())['extra_data']['outcome']
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if outcome == 'harness_error':
            failed.append(ident)
    return failed


def in_shard(ident, shard):
    """Whether a submission belongs to shard (k, n): by a hash of its id, so that the
    split does not move when other submissions come or go."""
    k, n = shard
    return int(hashlib.sha256(ident.encode()).hexdigest(), 16) % n == k - 1


def up_to_date(path, sha256, suite):
    """Whether a result exists for this content, suite and grader version (and is no harness error)."""
    try:
        extra = json.loads(path.read_text())['extra_data']
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return (extra.get('sha256') == sha256 and extra.get('suite') == suite
            and extra.get('grader_version') == __version__ and extra.get('outcome') != 'harness_error')


def secrets(folder, out):
    """{path: what it is} of a batch's folders, which no submission's code may read."""
    return {Path(folder).resolve(): 'the other submissions', Path(out).resolve(): 'the results'}


def grade_one(spec, ident, path, out, suite, sandbox, limits, hidden_visibility, history, others):
    """Grade one submission into OUT/results/<id>.json, keeping a different earlier result in
    `history`; never raises. Runs in a pool process."""
    try:
        results = grade(path, spec, suite, sandbox=sandbox, limits=limits, hidden_visibility=hidden_visibility,
                        others=others)
        results['extra_data'].update(submission_id=ident, outcome='graded')
    except Exception as error:  # noqa: BLE001 - one broken submission must not stop a batch
        results = {'score': 0, 'execution_time': 0, 'tests': [],
                   'output': f'The grader failed on this submission and could not score it: {clean(error, 2000)}',
                   'extra_data': {'submission_id': ident, 'outcome': 'harness_error', 'suite': suite,
                                  'grader_version': __version__, 'sha256': None, 'max_score': 0,
                                  'error': clean(traceback.format_exc(limit=3)[-2000:], 2000)}}
    regrade.replace_result(results, result_path(out, ident), history)
    return ident, results['extra_data']['outcome']


def run(spec, folder, out, jobs=None, shard=(1, 1), suite='all', sandbox='auto', limits=None,
        hidden_visibility='after_published', progress=True, force=False, history=None):
    """Grade every submission of `folder` in `shard` that has no up-to-date result in `out`
    (every one with force=True); when earlier results were graded again, write regrade.csv.

    spec: the engine.spec.Assignment the submissions are for
    limits: sandbox.isolation.Limits of the workers; None for grading.limits_of(spec)
    history: where replaced results go (default: regrade.history_folder(out), the run's time)

    Returns:
    - (graded, skipped): the ids graded now and the ids whose results were kept

    Raises, before any result is written, ValueError when `folder` holds no submission,
    grading.IsolationError when a worker could read what it must not, and
    grading.HarnessError when no worker can run.
    """
    found = submissions(folder)
    if not found:
        raise ValueError(nothing_to_grade(folder))
    history = history or regrade.history_folder(out)
    limits = limits or limits_of(spec)
    mine = {i: p for i, p in found.items() if in_shard(i, shard)}
    todo = {i: p for i, p in mine.items()
            if force or not up_to_date(result_path(out, i), submission_sha256(p, spec), suite)}
    again = [i for i in todo if result_path(out, i).exists()]
    jobs = jobs or os.cpu_count() or 1
    others = secrets(folder, out)
    # A fresh process per submission, so nothing of one grading can touch the next; forked
    # from a server that has imported the grader already, so that each starts at once.
    context = multiprocessing.get_context('forkserver')
    context.set_forkserver_preload([grade.__module__])
    pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context, max_tasks_per_child=1)
    with pool:
        if todo:
            # In a process of the pool too: the probe's workers are none of this process's children.
            pool.submit(check_batch, spec, sandbox, limits, others, min(jobs, len(todo)) > 1).result()
        (Path(out) / RESULTS).mkdir(parents=True, exist_ok=True)
        with tqdm(total=len(todo), unit='submission', disable=not progress, smoothing=0.1) as bar:
            futures = [pool.submit(grade_one, spec, i, p, Path(out), suite, sandbox, limits, hidden_visibility,
                                   history, others)
                       for i, p in todo.items()]
            for future in concurrent.futures.as_completed(futures):
                bar.update()
                bar.set_postfix_str(future.result()[0], refresh=False)
    if again:
        regrade.write_report(out, history, again)
    return sorted(todo), sorted(set(mine) - set(todo))
