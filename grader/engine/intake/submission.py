"""Turn what a student handed in (a folder, a .zip or a notebook) into a private folder of modules.

The copy holds the assignment's modules and the student's other Python files, and never
the files Python or pytest load on their own (conftest.py, sitecustomize.py, *.pth,
pytest.ini, ...), so nothing in a submission can configure the grader.

Nothing outside a submission is ever read on its behalf: a symbolic link is followed
only when its target lies inside the submission folder, and links in zips are never
followed. Whatever is left out (links, damaged or oddly named entries) is listed in
the submission's notes, and a submission that cannot be read at all raises
SubmissionError with the reason: either way the student gets a result that says why.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..text import clean
from .archive import Zip
from .entries import DAMAGED, NAME, SubmissionError
from .folder import Folder
from .notebook import NotebookError, definitions

__all__ = ['Submission', 'SubmissionError', 'prepare']

AUTOLOADED = {'conftest.py', 'sitecustomize.py', 'usercustomize.py', 'pytest.ini', 'tox.ini',
              'setup.cfg', 'pyproject.toml', 'setup.py'}
MAX_BYTES = 50 * 2 ** 20      # counted as the bytes really written, not as archives declare them
MAX_NOTES = 20
CHUNK = 64 * 1024


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
    - source: a folder, a .zip of one (the modules may sit at any depth), or a .ipynb
    - workdir: an empty folder owned by the grader
    - spec: the engine.spec.Assignment it is a submission to

    Returns:
    - Submission

    Raises:
    - SubmissionError: missing path, unreadable or oversized zip, no module at all
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
        single = _single_upload(source, notes, spec)
        if single is not None:
            return _prepare(single, workdir, spec)
        with Folder(source, notes) as entries:
            return _copy(entries, source, workdir, notes, spec)
    if source.suffix.lower() == '.zip':
        with Zip(source, notes) as entries:
            return _copy(entries, source, workdir, notes, spec)
    if source.suffix.lower() == '.ipynb':
        return _prepare_notebook(source, workdir, spec)
    raise SubmissionError(f'{clean(source.name, NAME)}: expected a folder, a .zip or a .ipynb')


def _copy(entries, source, workdir, notes, spec):
    """Write the entries of the module folder into workdir/<package>; the Submission."""
    base = _module_folder(entries, spec.module_files)
    if base is None:
        raise SubmissionError(f'{clean(source.name, NAME)}: none of {", ".join(spec.module_files)} was found'
                              + ''.join(f'; {note}' for note in notes[:3]))
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
            written += _stream(opener, target, MAX_BYTES - written)
        except _TooLarge:
            raise SubmissionError(f'{clean(source.name, NAME)} unpacks to more than {MAX_BYTES >> 20} MiB') from None
        except DAMAGED as error:
            target.unlink(missing_ok=True)
            notes.append(f'{clean(str(path), NAME)} is damaged and was skipped ({type(error).__name__}: {clean(str(error), NAME)})')
    return Submission(root, _tree_sha256(root), tuple(_capped(notes)))


class _TooLarge(Exception):
    pass


def _stream(opener, target, room):
    """Copy one entry to `target` in chunks; the bytes written, or _TooLarge past `room`."""
    written = 0
    with opener() as source, open(target, 'xb') as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > room:
                raise _TooLarge
            out.write(chunk)
    return written


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
        program = definitions(source, own)
    except NotebookError as error:
        raise SubmissionError(str(error)) from None
    root = workdir / spec.package
    root.mkdir(parents=True)
    for name, code in program.files.items():
        (root / name).write_text(code, encoding='utf-8')
    for name in spec.module_files:
        (root / name).write_text('from .notebook import *  # noqa: F401,F403\n'
                                 'from .notebook import __grader_notes__  # noqa: F401\n')
    return Submission(root, _tree_sha256(root), tuple(program.notes))


def _single_upload(folder, notes, spec):
    """The one .ipynb or .zip of a folder that holds no module, as Gradescope leaves an upload."""
    if any(os.path.lexists(folder / name) for name in spec.module_files):
        return None
    uploads = []
    for entry in os.scandir(folder):
        if Path(entry.name).suffix.lower() in ('.ipynb', '.zip'):
            if entry.is_file(follow_symlinks=False):
                uploads.append(folder / entry.name)
            elif entry.is_symlink():
                notes.append(f'{clean(entry.name, NAME)} is a symbolic link; links to files outside the submission '
                             'are not followed')
    return uploads[0] if len(uploads) == 1 else None


def _module_folder(files, module_files):
    """The folder holding the most of the assignment's modules; the shallowest one on a tie."""
    counts = {}
    for path in files:
        if path.name in module_files:
            counts[path.parent] = counts.get(path.parent, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda folder: (counts[folder], -len(folder.parts)))


def _capped(notes):
    return notes if len(notes) <= MAX_NOTES else notes[:MAX_NOTES] + [f'... and {len(notes) - MAX_NOTES} more']
