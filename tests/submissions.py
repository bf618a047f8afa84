"""Build submissions for the grader's tests: copies of the reference or the skeleton, edited;
and grade them as the homework's grader does."""

import shutil
from pathlib import Path

from grader.engine import grading
from grader.spec import SPEC

ROOT = Path(__file__).resolve().parent.parent
MODULE_FILES = SPEC.module_files


def grade(source, suite='public', **options):
    """Grade a submission to this homework (grading.grade with its spec)."""
    return grading.grade(source, SPEC, suite, **options)


def build(folder, base='solution', replace=(), append=None):
    """Copy the modules of `base` into folder, then edit them.

    Inputs:
    - folder: where the submission goes (created)
    - base: 'solution' or 'assignment'
    - replace: (file, old, new) edits; each `old` must occur exactly once
    - append: {file: source appended at the end}, e.g. redefinitions in another style

    Returns:
    - folder, as a Path
    """
    folder = Path(folder)
    folder.mkdir(parents=True)
    for name in MODULE_FILES:
        shutil.copy(ROOT / base / name, folder / name)
    for name, old, new in replace:
        text = (folder / name).read_text()
        assert text.count(old) == 1, f'{old!r} occurs {text.count(old)} times in {name}'
        (folder / name).write_text(text.replace(old, new))
    for name, source in (append or {}).items():
        with open(folder / name, 'a') as f:
            f.write('\n\n' + source)
    return folder


def failed(results):
    """The failed tests of a results dict."""
    return [test for test in results['tests'] if test['status'] == 'failed']
