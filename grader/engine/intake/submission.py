"""Turn what a student handed in (a folder, a .zip or a notebook) into a private folder of modules.

The copy holds the assignment's modules and the student's other Python files, and never
the files Python or pytest load on their own (conftest.py, sitecustomize.py, *.pth,
pytest.ini, ...), so nothing in a submission can configure the grader.

A folder or zip that holds more than one copy of the assignment (module folders,
notebooks) is graded from the one copies.choose picks, by the same rule for both, and the
notes name the copies ignored.

Nothing outside a submission is ever read on its behalf: a symbolic link is followed
only when its target lies inside the submission folder, and links in zips are never
followed. Whatever is left out (links, damaged or oddly named entries) is listed in
the submission's notes, and a submission that cannot be read at all raises
SubmissionError with the reason: either way the student gets a result that says why.
"""

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..text import clean
from . import copies
from . import notebook
from .archive import Zip
from .entries import DAMAGED, NAME, SubmissionError, TooLarge, stream
from .folder import Folder

__all__ = ['Submission', 'SubmissionError', 'prepare']

AUTOLOADED = {'conftest.py', 'sitecustomize.py', 'usercustomize.py', 'pytest.ini', 'tox.ini',
              'setup.cfg', 'pyproject.toml', 'setup.py'}
MAX_BYTES = 50 * 2 ** 20      # counted as the bytes really written, not as archives declare them
MAX_NOTES = 20
SCRATCH = '.notebooks'        # in the workdir: where notebooks are copied to be read (never a package name)


@dataclass(frozen=True)
class Submission:
    """A private copy of a submission's modules.

    - root: the package folder holding the assignment's modules (some may be missing)
    - sha256: hash of the graded files, the same for the same code
    - notes: what the student should know about how it was read (skipped files or cells)
    """

    root: Path
    sha256: str
    notes: tuple = ()


def prepare(source, workdir, spec):
    """Copy a submission's modules into workdir/<package>.

    Inputs:
    - source: a folder, a .zip of one (the modules or a notebook may sit at any depth;
      with several copies, copies.choose picks one), or a .ipynb
    - workdir: an empty folder owned by the grader
    - spec: the engine.spec.Assignment it is a submission to

    Returns:
    - Submission

    Raises:
    - SubmissionError: missing path, unreadable or oversized zip, no module or notebook at all
    """
    source, workdir = Path(source), Path(workdir)
    try:
        return _prepare(source, workdir, spec)
    except SubmissionError:
        raise
    except (OSError, ValueError, RecursionError, MemoryError) as error:
        raise SubmissionError(f'{clean(source.name, NAME)} could not be read ({type(error).__name__}: '
                              f'{clean(str(error), NAME)})') from None


def _prepare(source, workdir, spec):
    if source.is_symlink():
        raise SubmissionError(f'{clean(source.name, NAME)} is a symbolic link; links are not followed, so '
                              'nothing was graded')
    if not source.exists():
        raise SubmissionError(f'{clean(source.name, NAME)} does not exist')
    notes = []
    if source.is_dir():
        with Folder(source, notes) as entries:
            upload = _single_upload(source, entries, spec)
            if upload is None:
                return _graded_copy(entries, source, workdir, notes, spec)
        return _prepare(upload, workdir, spec)
    if source.suffix.lower() == '.zip':
        with Zip(source, notes) as entries:
            return _graded_copy(entries, source, workdir, notes, spec)
    if source.suffix.lower() == '.ipynb':
        return _prepare_notebook(source, workdir, spec)
    raise SubmissionError(f'{clean(source.name, NAME)}: expected a folder, a .zip or a .ipynb')


def _graded_copy(entries, source, workdir, notes, spec):
    """The Submission of the copy of the assignment among a folder's or zip's entries that
    copies.choose picks (it adds a note when there are others)."""
    scratch = workdir / SCRATCH
    try:
        chosen = copies.choose(entries, spec, scratch, notes)
        if chosen is None:
            raise SubmissionError(f'{clean(source.name, NAME)}: none of {", ".join(spec.module_files)} was found, '
                                  'nor a notebook' + ''.join(f'; {note}' for note in notes[:3]))
        if not chosen.notebook:
            return _copy(entries, chosen.path, source, workdir, notes, spec)
        scratch.mkdir(exist_ok=True)
        path = scratch / chosen.path.name
        try:
            stream(entries[chosen.path], path, notebook.MAX_BYTES)
        except TooLarge:
            raise SubmissionError(f'{clean(chosen.path.name, NAME)} is larger than {notebook.MAX_BYTES >> 20} MiB, '
                                  'more than Gradescope accepts: too large to grade') from None
        submission = _prepare_notebook(path, workdir, spec)
        return Submission(submission.root, submission.sha256, tuple(_capped(notes + list(submission.notes))))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _copy(entries, base, source, workdir, notes, spec):
    """Write the entries under the module folder `base` into workdir/<package>; the Submission."""
    # The folder's name is the package name the modules are imported under.
    root = workdir / spec.package
    root.mkdir(parents=True)
    written = 0
    for path, opener in entries.items():
        if base not in path.parents or path.name in AUTOLOADED or path.suffix == '.pth':
            continue
        target = root / path.relative_to(base)
        if not _free(root, target):
            notes.append(f'{clean(str(path), NAME)} clashes with a folder or file of the same name and was skipped')
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            written += stream(opener, target, MAX_BYTES - written)
        except TooLarge:
            raise SubmissionError(f'{clean(source.name, NAME)} unpacks to more than {MAX_BYTES >> 20} MiB') from None
        except DAMAGED as error:
            target.unlink(missing_ok=True)
            notes.append(f'{clean(str(path), NAME)} is damaged and was skipped ({type(error).__name__}: {clean(str(error), NAME)})')
    return Submission(root, _tree_sha256(root), tuple(_capped(notes)))


def _free(root, target):
    """Whether target can be written: no file stands where a folder must be, and no folder where it goes."""
    for parent in target.relative_to(root).parents:
        if (root / parent).exists() and not (root / parent).is_dir():
            return False
    return not target.exists()


def _tree_sha256(root):
    """Hash of the files that are graded, by relative path and content: the same code
    has the same hash whether it came as a folder or inside any zip."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob('*') if p.is_file()):
        digest.update(os.fsencode(path.relative_to(root).as_posix()) + b'\0')
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _prepare_notebook(source, workdir, spec):
    """The notebook's kept code, one file per cell, run by the module `notebook`; the
    contract modules re-export it (a notebook is one namespace), and its
    `__grader_notes__` (statements that failed and were skipped) with it."""
    own = {spec.package, *(module.name for module in spec.modules), *spec.provided}
    try:
        program = notebook.definitions(source, own)
    except notebook.NotebookError as error:
        raise SubmissionError(str(error)) from None
    root = workdir / spec.package
    root.mkdir(parents=True)
    for name, code in program.files.items():
        (root / name).write_text(code, encoding='utf-8')
    for name in spec.module_files:
        (root / name).write_text('from .notebook import *  # noqa: F401,F403\n'
                                 'from .notebook import __grader_notes__  # noqa: F401\n')
    return Submission(root, _tree_sha256(root), tuple(program.notes))


def _single_upload(folder, entries, spec):
    """The one .zip at the top of a folder that holds no copy of the assignment, as
    Gradescope may leave an upload; None otherwise. A link is never taken for it."""
    if copies.find(entries, spec.module_files):
        return None
    uploads = [path for path in entries if len(path.parts) == 1 and path.suffix.lower() == '.zip']
    if len(uploads) != 1 or os.path.islink(folder / uploads[0]):
        return None
    return folder / uploads[0]


def _capped(notes):
    return notes if len(notes) <= MAX_NOTES else notes[:MAX_NOTES] + [f'... and {len(notes) - MAX_NOTES} more']
