"""Turn what a student handed in (a folder, a .zip or a notebook) into a private folder of modules.

The copy holds the contract modules and the student's other Python files, and never the
files Python or pytest load on their own (conftest.py, sitecustomize.py, *.pth,
pytest.ini, ...), so nothing in a submission can configure the grader.

Nothing outside a submission is ever read on its behalf: a symbolic link is followed
only when its target lies inside the submission folder, and links in zips are never
followed. Whatever is left out (links, damaged or oddly named entries) is listed in
the submission's notes, and a submission that cannot be read at all raises
SubmissionError with the reason: either way the student gets a result that says why.
"""

import bz2
import hashlib
import lzma
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .contract import MODULES
from .notebook import NotebookError, definitions
from .text import clean

REQUIRED = tuple(f'{module}.py' for module in MODULES)
JUNK_PARTS = {'__MACOSX', '__pycache__', '.ipynb_checkpoints', '.git'}
AUTOLOADED = {'conftest.py', 'sitecustomize.py', 'usercustomize.py', 'pytest.ini', 'tox.ini',
              'setup.cfg', 'pyproject.toml', 'setup.py'}
MAX_BYTES = 50 * 2 ** 20      # counted as the bytes really written, not as archives declare them
MAX_FILES = 2000
MAX_NAME = 255                # bytes of one file name, as Linux allows
MAX_NOTES = 20
NAME = 200                    # characters of a name or message shown in a note
CHUNK = 64 * 1024
DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, RuntimeError, OSError,
           ValueError)


class SubmissionError(Exception):
    """A submission that cannot be graded at all; the message says why, for the student."""


@dataclass(frozen=True)
class Submission:
    """A private copy of a submission's modules.

    - root: folder holding activations.py, losses.py, ... (some may be missing)
    - sha256: hash of the graded files, the same for the same code
    - notes: what the student should know about how it was read (skipped files or cells)
    """

    root: Path
    sha256: str
    notes: tuple = ()


def prepare(source, workdir):
    """Copy a submission's modules into workdir/assignment.

    Inputs:
    - source: a folder, a .zip of one (the modules may sit at any depth), or a .ipynb
    - workdir: an empty folder owned by the grader

    Returns:
    - Submission

    Raises:
    - SubmissionError: missing path, unreadable or oversized zip, no module at all
    """
    source, workdir = Path(source), Path(workdir)
    try:
        return _prepare(source, workdir)
    except SubmissionError:
        raise
    except (OSError, ValueError, RecursionError, MemoryError) as error:
        raise SubmissionError(f'{clean(source.name, NAME)} could not be read ({type(error).__name__}: '
                              f'{clean(str(error), NAME)})') from None


def _prepare(source, workdir):
    if source.is_symlink():
        raise SubmissionError(f'{clean(source.name, NAME)} is a symbolic link; links are not followed, so '
                              'nothing was graded')
    if not source.exists():
        raise SubmissionError(f'{clean(source.name, NAME)} does not exist')
    notes = []
    if source.is_dir():
        single = _single_upload(source, notes)
        if single is not None:
            return _prepare(single, workdir)
        with _Folder(source, notes) as entries:
            return _copy(entries, source, workdir, notes)
    if source.suffix.lower() == '.zip':
        with _Zip(source, notes) as entries:
            return _copy(entries, source, workdir, notes)
    if source.suffix.lower() == '.ipynb':
        return _prepare_notebook(source, workdir)
    raise SubmissionError(f'{clean(source.name, NAME)}: expected a folder, a .zip or a .ipynb')


def _copy(entries, source, workdir, notes):
    """Write the entries of the module folder into workdir/assignment; the Submission."""
    base = _module_folder(entries)
    if base is None:
        raise SubmissionError(f'{clean(source.name, NAME)}: none of {", ".join(REQUIRED)} was found'
                              + ''.join(f'; {note}' for note in notes[:3]))
    # The folder's name is the package name the modules are imported under.
    root = workdir / 'assignment'
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


def _prepare_notebook(source, workdir):
    """The notebook's kept code, one file per cell, run by the module `notebook`; the
    contract modules re-export it (a notebook is one namespace), and its
    `__grader_notes__` (statements that failed and were skipped) with it."""
    try:
        program = definitions(source)
    except NotebookError as error:
        raise SubmissionError(str(error)) from None
    root = workdir / 'assignment'
    root.mkdir(parents=True)
    for name, code in program.files.items():
        (root / name).write_text(code, encoding='utf-8')
    for name in REQUIRED:
        (root / name).write_text('from .notebook import *  # noqa: F401,F403\n'
                                 'from .notebook import __grader_notes__  # noqa: F401\n')
    return Submission(root, _tree_sha256(root), tuple(program.notes))


def _single_upload(folder, notes):
    """The one .ipynb or .zip of a folder that holds no module, as Gradescope leaves an upload."""
    if any(os.path.lexists(folder / name) for name in REQUIRED):
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


def _wanted(path):
    return not (set(path.parts) & JUNK_PARTS) and not any(p.startswith('.') for p in path.parts)


def _name_problem(path):
    """Why a relative path cannot be written here, or None."""
    if any(len(os.fsencode(part)) > MAX_NAME for part in path.parts):
        return f'its name is longer than {MAX_NAME} bytes'
    if '\0' in str(path):
        return 'its name holds a NUL character'
    return None


class _Folder:
    """{relative PurePosixPath: opener} of a folder's regular files, as a context manager.

    Links are followed only to regular files inside the folder; every other link, and
    every special file, is left out with a note.
    """

    def __init__(self, folder, notes):
        self.folder = Path(os.path.realpath(folder))
        self.notes = notes

    def __enter__(self):
        entries, count = {}, 0
        for directory, dirs, files in os.walk(self.folder):
            relative_dir = Path(directory).relative_to(self.folder)
            dirs[:] = sorted(d for d in dirs if _wanted(PurePosixPath((relative_dir / d).as_posix()))
                             and not self._skip_link(Path(directory) / d, relative_dir / d))
            for name in sorted(files):
                path, relative = Path(directory) / name, PurePosixPath((relative_dir / name).as_posix())
                if not _wanted(relative) or self._skip_link(path, relative):
                    continue
                target = Path(os.path.realpath(path))
                if not stat.S_ISREG(os.stat(target).st_mode):
                    self.notes.append(f'{clean(str(relative), NAME)} is not a regular file and was skipped')
                    continue
                problem = _name_problem(relative)
                if problem:
                    self.notes.append(f'{clean(str(relative), NAME)} was skipped: {problem}')
                    continue
                count += 1
                if count > MAX_FILES:
                    raise SubmissionError(f'{clean(self.folder.name, NAME)} holds more than {MAX_FILES} files')
                entries[relative] = lambda target=target: _open_no_follow(target)
        return entries

    def _skip_link(self, path, relative):
        """True (with a note) for a link whose target is outside the folder or is a folder."""
        if not path.is_symlink():
            return False
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(self.folder):
            self.notes.append(f'{clean(str(relative), NAME)} is a symbolic link to outside the submission and was '
                              'not followed')
            return True
        if target.is_dir():
            self.notes.append(f'{clean(str(relative), NAME)} is a symbolic link to a folder and was not followed')
            return True
        if not target.exists():
            self.notes.append(f'{clean(str(relative), NAME)} is a symbolic link to nothing and was skipped')
            return True
        return False

    def __exit__(self, *exc):
        return False


def _open_no_follow(path):
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), 'rb')


class _Zip:
    """{relative PurePosixPath: opener} of a zip's files, as a context manager that keeps it open.

    Links, absolute paths, `..` and names that cannot be written are left out with a note.
    """

    def __init__(self, archive, notes):
        self.archive = archive
        self.notes = notes
        self.zf = None

    def __enter__(self):
        try:
            self.zf = zipfile.ZipFile(self.archive)
            infos = self.zf.infolist()
        except UnicodeDecodeError:
            raise SubmissionError(f'{clean(self.archive.name, NAME)} is not a readable zip archive: a file name marked '
                                  'as UTF-8 is not valid UTF-8') from None
        except DAMAGED as error:
            raise SubmissionError(f'{clean(self.archive.name, NAME)} is not a readable zip archive '
                                  f'({type(error).__name__}: {clean(str(error), NAME)})') from None
        files = [info for info in infos if not info.is_dir()]
        if len(files) > MAX_FILES:
            raise SubmissionError(f'{clean(self.archive.name, NAME)} holds more than {MAX_FILES} files')
        entries = {}
        for info in files:
            path = PurePosixPath(info.filename)
            if path.is_absolute() or '..' in path.parts:
                self.notes.append(f'{clean(info.filename, NAME)} points outside the archive and was skipped')
            elif stat.S_ISLNK(info.external_attr >> 16):
                self.notes.append(f'{clean(info.filename, NAME)} is a symbolic link; links in archives are not followed')
            elif _wanted(path):
                problem = _name_problem(path)
                if problem:
                    self.notes.append(f'{clean(info.filename, NAME)} was skipped: {problem}')
                else:
                    entries[path] = lambda info=info: self.zf.open(info)
        return entries

    def __exit__(self, *exc):
        if self.zf is not None:
            self.zf.close()
        return False


def _module_folder(files):
    """The folder holding the most contract modules; the shallowest one on a tie."""
    counts = {}
    for path in files:
        if path.name in REQUIRED:
            counts[path.parent] = counts.get(path.parent, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda folder: (counts[folder], -len(folder.parts)))


def _capped(notes):
    return notes if len(notes) <= MAX_NOTES else notes[:MAX_NOTES] + [f'... and {len(notes) - MAX_NOTES} more']
