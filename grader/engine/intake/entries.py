"""What the readers of folders and zips share: which entries count, how one is copied, and how a failure reads."""

import lzma
import os
import zipfile
import zlib

JUNK_PARTS = {'__MACOSX', '__pycache__', '.ipynb_checkpoints', '.git'}
MAX_FILES = 2000
MAX_NAME = 255                # bytes of one file name, as Linux allows
CHUNK = 64 * 1024
NAME = 200                    # characters of a name or message shown in a note
# What reading a damaged archive entry raises (bz2 raises OSError).
DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, RuntimeError, OSError,
           ValueError)


class SubmissionError(Exception):
    """A submission that cannot be graded at all; the message says why, for the student."""


class TooLarge(Exception):
    """An entry that holds more bytes than there is room for."""


def wanted(path):
    """Whether a relative path is the student's work rather than junk (caches, dot files, __MACOSX)."""
    return not (set(path.parts) & JUNK_PARTS) and not any(p.startswith('.') for p in path.parts)


def name_problem(path):
    """Why a relative path cannot be written here, or None."""
    if any(len(os.fsencode(part)) > MAX_NAME for part in path.parts):
        return f'its name is longer than {MAX_NAME} bytes'
    if '\0' in str(path):
        return 'its name holds a NUL character'
    return None


def stream(opener, target, room):
    """Copy one entry to `target` in chunks; the bytes written, or TooLarge past `room`.

    The bytes are counted as they are really written, never as an archive declares them.
    """
    written = 0
    with opener() as source, open(target, 'xb') as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > room:
                raise TooLarge
            out.write(chunk)
    return written
