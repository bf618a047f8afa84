"""Build submissions for the grader's tests: copies of the reference or the skeleton, edited;
and grade them as the homework's grader does."""

import functools
import shutil
from pathlib import Path

from grader.engine import grading
from grader.engine import spec as specs
from grader.spec import SPEC

ROOT = Path(__file__).resolve().parent.parent
MODULE_FILES = SPEC.module_files
# Offerings of the first parts, for tests whose code sits in their modules: the tests of
# the other parts would grade the reference again, at seconds a submission. Parts 1-2 and
# 1-3 have public and hidden tests and no training; parts 1-5 are the modules before cnn.py.
PARTS_1_AND_2 = SPEC.offering([1, 2])
PARTS_1_TO_3 = SPEC.offering([1, 2, 3])
PARTS_1_TO_5 = SPEC.offering([part.number for part in SPEC.parts if part.number <= 5])


def parts_option(offering):
    """The command line's --parts value that grades an offering's parts, e.g. '1,2'."""
    return specs.format_parts(part.number for part in offering.parts)


def grade(source, suite='public', spec=SPEC, **options):
    """Grade a submission to this homework, or to an offering of some of its parts."""
    return grading.grade(source, spec, suite, **options)


@functools.cache
def reference_score(suite='public', spec=SPEC):
    """The reference's score on a suite of the homework or an offering, graded once per test
    process: what a correct submission keeps."""
    return grade(ROOT / 'solution', suite, spec)['score']


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
