"""Turn what a student handed in (a folder or a .zip) into a private folder of modules.

The copy holds the four contract modules and the student's other Python files, and
never the files Python or pytest load on their own (conftest.py, sitecustomize.py,
*.pth, pytest.ini, ...), so nothing in a submission can configure the grader.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .contract import MODULES
from .notebook import NotebookError, definitions

REQUIRED = tuple(f'{module}.py' for module in MODULES)
JUNK_PARTS = {'__MACOSX', '__pycache__', '.ipynb_checkpoints', '.git'}
AUTOLOADED = {'conftest.py', 'sitecustomize.py', 'usercustomize.py', 'pytest.ini', 'tox.ini',
              'setup.cfg', 'pyproject.toml', 'setup.py'}
MAX_BYTES = 50 * 2 ** 20
MAX_FILES = 2000


class SubmissionError(Exception):
    """A submission that cannot be graded at all; the message says why, for the student."""


@dataclass(frozen=True)
class Submission:
    """A private copy of a submission's modules.

    - root: folder holding activations.py, losses.py, ... (some may be missing)
    - sha256: hash of the graded files, the same for the same code
    - source: what was handed in
    - notes: what the student should know about how it was read (skipped notebook cells)
    """

    root: Path
    sha256: str
    source: Path
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
    if not source.exists():
        raise SubmissionError(f'{source} does not exist')
    if source.is_dir():
        single = _single_upload(source)
        if single is not None:
            return prepare(single, workdir)
        files = _folder_files(source)
    elif source.suffix.lower() == '.zip':
        files = _zip_files(source)
    elif source.suffix.lower() == '.ipynb':
        return _prepare_notebook(source, workdir)
    else:
        raise SubmissionError(f'{source.name}: expected a folder, a .zip or a .ipynb')
    base = _module_folder(files)
    if base is None:
        raise SubmissionError(f'{source.name}: none of {", ".join(REQUIRED)} was found')
    # The folder's name is the package name the modules are imported under.
    root = workdir / 'assignment'
    root.mkdir(parents=True)
    for path, read in files.items():
        if base in path.parents and path.name not in AUTOLOADED and path.suffix != '.pth':
            target = root / path.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(read())
    return Submission(root, _tree_sha256(root), source)


def _tree_sha256(root):
    """Hash of the files that are graded, by relative path and content: the same code
    has the same hash whether it came as a folder or inside any zip."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob('*') if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b'\0')
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
    return Submission(root, _tree_sha256(root), source, program.notes)


def _single_upload(folder):
    """The one .ipynb or .zip of a folder that holds no module, as Gradescope leaves an upload."""
    if any((folder / name).exists() for name in REQUIRED):
        return None
    uploads = [p for p in folder.iterdir() if p.suffix.lower() in ('.ipynb', '.zip') and p.is_file()]
    return uploads[0] if len(uploads) == 1 else None


def _wanted(path):
    return not (set(path.parts) & JUNK_PARTS) and not any(p.startswith('.') for p in path.parts)


def _folder_files(folder):
    """{relative PurePosixPath: function returning the bytes} of a folder's files."""
    files, total = {}, 0
    for path in sorted(folder.rglob('*')):
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        if path.is_file() and not path.is_symlink() and _wanted(relative):
            total += path.stat().st_size
            files[relative] = path.read_bytes
            if total > MAX_BYTES or len(files) > MAX_FILES:
                raise SubmissionError(f'{folder.name}: more than {MAX_BYTES >> 20} MiB or {MAX_FILES} files')
    return files


def _zip_files(archive):
    """{relative PurePosixPath: function returning the bytes} of a zip's files."""
    try:
        with zipfile.ZipFile(archive) as zf:
            entries = [info for info in zf.infolist() if not info.is_dir()]
            if sum(info.file_size for info in entries) > MAX_BYTES or len(entries) > MAX_FILES:
                raise SubmissionError(f'{archive.name}: unpacks to more than {MAX_BYTES >> 20} MiB '
                                      f'or {MAX_FILES} files')
            files = {}
            for info in entries:
                path = PurePosixPath(info.filename)
                if path.is_absolute() or '..' in path.parts or not _wanted(path):
                    continue
                data = zf.read(info)
                files[path] = lambda data=data: data
            return files
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as error:
        raise SubmissionError(f'{archive.name} is not a readable zip archive ({error})') from None


def _module_folder(files):
    """The folder holding the most contract modules; the shallowest one on a tie."""
    counts = {}
    for path in files:
        if path.name in REQUIRED:
            counts[path.parent] = counts.get(path.parent, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda folder: (counts[folder], -len(folder.parts)))
