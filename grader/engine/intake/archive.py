"""The files of a submission zip: links, escapes and damaged or oddly named entries left out."""

import stat
import zipfile
from pathlib import PurePosixPath

from ..text import clean
from .entries import DAMAGED, MAX_FILES, NAME, SubmissionError, name_problem, wanted


class Zip:
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
            elif wanted(path):
                problem = name_problem(path)
                if problem:
                    self.notes.append(f'{clean(info.filename, NAME)} was skipped: {problem}')
                else:
                    entries[path] = lambda info=info: self.zf.open(info)
        return entries

    def __exit__(self, *exc):
        if self.zf is not None:
            self.zf.close()
        return False
