"""The files of a submission folder, found without following links out of it."""

import os
import stat
from pathlib import Path, PurePosixPath

from ..text import clean
from .entries import MAX_FILES, NAME, SubmissionError, name_problem, wanted


class Folder:
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
            dirs[:] = sorted(d for d in dirs if wanted(PurePosixPath((relative_dir / d).as_posix()))
                             and not self._skip_link(Path(directory) / d, relative_dir / d))
            for name in sorted(files):
                path, relative = Path(directory) / name, PurePosixPath((relative_dir / name).as_posix())
                if not wanted(relative) or self._skip_link(path, relative):
                    continue
                target = Path(os.path.realpath(path))
                if not stat.S_ISREG(os.stat(target).st_mode):
                    self.notes.append(f'{clean(str(relative), NAME)} is not a regular file and was skipped')
                    continue
                problem = name_problem(relative)
                if problem:
                    self.notes.append(f'{clean(str(relative), NAME)} was skipped: {problem}')
                    continue
                count += 1
                if count > MAX_FILES:
                    raise SubmissionError(f'{clean(self.folder.name, NAME)} holds more than {MAX_FILES} files')
                entries[relative] = lambda target=target: open_no_follow(target)
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


def open_no_follow(path):
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), 'rb')
