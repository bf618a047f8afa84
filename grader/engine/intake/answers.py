"""Read a submission's written answers: its answers file and its notebooks' answer cells, as data.

The files are listed as grading lists them (folder.Folder, archive.Zip: nothing outside
the submission, no link out of it, no odd names), and nothing is run. What counts:

- every file named like the answers file (answers.md, in any letter case), read up to
  MAX_FILE bytes;
- every notebook (.ipynb), streamed (ijson) keeping only the sources of its markdown
  cells, up to MAX_MARKDOWN characters, its outputs read past without being kept;

answers files first, then notebooks, the shallowest first, then by name (answers.collect
takes each question's answer from the first that gives one). A folder that holds neither,
only one .zip at its top, is read from that zip, as Gradescope may leave an upload. A
file that cannot be read is a note, never an error.
"""

from dataclasses import replace
from pathlib import Path

import ijson

from ..answers import collect, from_cell, from_file, readable
from ..text import clean
from .archive import Zip
from .entries import DAMAGED, NAME, SubmissionError
from .folder import Folder
from .notebook import MAX_BYTES as MAX_NOTEBOOK, MAX_CELLS, TooDeep, cell_values, json_keys, skip_value

MAX_FILE = 2 ** 20            # bytes of an answers file read
MAX_MARKDOWN = 2 ** 21        # characters of a notebook's markdown cells kept
MAX_SOURCES = 10              # answers files and notebooks read
# ijson holds a string whole and scans it again for every chunk it is fed: with chunks of
# 8 MiB, a 60 MB image saved in an output is read in 0.2 s, with 64 KiB ones in 13 s.
BUFFER = 8 * 2 ** 20


class _Unreadable(Exception):
    """A file that cannot be read as what its name says; the message says why."""


def read(source, questions, file='answers.md'):
    """The Answers of a submission.

    Inputs:
    - source: a folder, a .zip or a .ipynb, as graded
    - questions: the Questions asked (answers.written(spec).questions)
    - file: the name of the answers file

    Returns:
    - answers.Answers; a missing answer is missing there, and a file that could not be
      read is named in its notes
    """
    source, notes = Path(source), []
    try:
        found = _sources(source, questions, file, notes)
    except (SubmissionError, OSError, ValueError) as error:
        found = []
        notes.append(f'{clean(source.name, NAME)} could not be read: {clean(str(error), NAME)}')
    answers = collect(found, questions)
    return replace(answers, notes=(*notes, *answers.notes))


def _sources(source, questions, file, notes):
    """[(where, {number: [answer, ...]})] of the answers files and notebooks of a submission."""
    if source.is_symlink() or not source.exists():
        raise SubmissionError('it is a symbolic link, which is not followed' if source.is_symlink()
                              else 'it does not exist')
    if source.suffix.lower() == '.ipynb' and source.is_file():
        return [_read_one(source.name, lambda: open(source, 'rb'), questions, file, notes)]
    if source.is_dir():
        with Folder(source, []) as entries:
            upload = None if _candidates(entries, file) else _single_zip(source, entries)
            if upload is None:
                return _read_all(entries, questions, file, notes)
        return _sources(upload, questions, file, notes)
    if source.suffix.lower() == '.zip':
        with Zip(source, []) as entries:
            return _read_all(entries, questions, file, notes)
    raise SubmissionError('expected a folder, a .zip or a .ipynb')


def _candidates(entries, file):
    """The answers files, then the notebooks, among a submission's entries: shallowest first, then by name."""
    def kind(path):
        return 0 if path.name.lower() == file.lower() else 1 if path.suffix.lower() == '.ipynb' else None
    found = [path for path in entries if kind(path) is not None]
    return sorted(found, key=lambda path: (kind(path), len(path.parts), str(path)))


def _single_zip(folder, entries):
    zips = [path for path in entries if len(path.parts) == 1 and path.suffix.lower() == '.zip']
    return folder / zips[0] if len(zips) == 1 and not (folder / zips[0]).is_symlink() else None


def _read_all(entries, questions, file, notes):
    candidates = _candidates(entries, file)
    if len(candidates) > MAX_SOURCES:
        notes.append(f'only the first {MAX_SOURCES} of its {len(candidates)} answers files and notebooks were read')
    return [_read_one(str(path), entries[path], questions, file, notes) for path in candidates[:MAX_SOURCES]]


def _read_one(where, opener, questions, file, notes):
    """(where, {number: [answer, ...]}) of one answers file or notebook; nothing, with a
    note, when it cannot be read."""
    shown = clean(where, NAME)
    try:
        if where.lower().endswith('.ipynb'):
            found = {}
            for _, source in _markdown_cells(opener, notes, shown):
                answered = from_cell(source, questions)
                if answered is not None:
                    found.setdefault(answered[0], []).append(answered[1])
            return shown, found
        with opener() as f:
            data = f.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            notes.append(f'{shown} is larger than {MAX_FILE >> 20} MiB: only its first MiB was read')
        found, unknown = from_file(readable(data[:MAX_FILE].decode('utf-8', 'replace')), questions)
        notes += [f'{shown}: {note}' for note in unknown]
        return shown, found
    except (_Unreadable, TooDeep, *DAMAGED) as error:
        notes.append(f'{shown} could not be read: {clean(str(error), NAME)}')
        return shown, {}


class _Capped:
    """A binary file that refuses to be read past `limit` bytes."""

    def __init__(self, raw, limit):
        self.raw, self.left = raw, limit

    def read(self, size=-1):
        data = self.raw.read(self.left + 1 if size < 0 else min(size, self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise _Unreadable(f'it is larger than {MAX_NOTEBOOK >> 20} MiB')
        return data


def _markdown_cells(opener, notes, shown):
    """[(cell number, source)] of a notebook's markdown cells, numbering every cell from 1."""
    try:
        with opener() as raw:
            events = ijson.basic_parse(_Capped(raw, MAX_NOTEBOOK), buf_size=BUFFER)
            if next(events)[0] != 'start_map':
                raise _Unreadable('it is not a notebook')
            cells = []
            for key in json_keys(events):
                if key == 'cells':
                    cells = _cells(events, notes, shown)
                else:
                    skip_value(events, next(events)[0])
            return cells
    except StopIteration:
        raise _Unreadable('it ends too early') from None
    # ijson's C backend reports a number too long to convert (a ValueError) as a SystemError.
    except (ijson.JSONError, ValueError, SystemError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _Unreadable(f'it is not JSON ({clean(reason, 100)})') from None


def _cells(events, notes, shown):
    """[(number, source)] of the markdown cells of the list of cells just begun."""
    event = next(events)[0]
    if event != 'start_array':
        skip_value(events, event)
        return []
    cells, room = [], MAX_MARKDOWN
    for number, event in cell_values(events, _Unreadable(f'it has more than {MAX_CELLS} cells')):
        if event != 'start_map':
            skip_value(events, event)
            continue
        kind, source = None, ''
        for key in json_keys(events):
            if key == 'cell_type':
                event, kind = next(events)
                skip_value(events, event)
            elif key == 'source':
                source = _source(events, max(room, 0))
            else:
                skip_value(events, next(events)[0])
        if kind == 'markdown' and (isinstance(source, str) or source is TOO_LONG) and room >= 0:
            room -= len(source) if source is not TOO_LONG else room + 1
            if room < 0:
                notes.append(f'{shown}: its markdown cells hold more than {MAX_MARKDOWN} characters: '
                             f'cell {number} and those after it were not read')
            else:
                cells.append((number, readable(source)))
    return cells


def _source(events, room):
    """The source just begun (a string or a list of strings) as one string; TOO_LONG when it
    holds more than `room` characters (the rest is read past, building nothing), None for
    anything else."""
    event, value = next(events)
    if event == 'string':
        return value if len(value) <= room else TOO_LONG
    if event != 'start_array':
        skip_value(events, event)
        return None
    pieces, length = [], 0
    for event, value in events:
        if event == 'end_array':
            return ''.join(pieces) if length <= room else TOO_LONG
        if event != 'string':
            skip_value(events, event)
            return _rest_of_array(events)
        length += len(value)
        if length <= room:
            pieces.append(value)
    return None


TOO_LONG = object()      # what _source gives for a source longer than the room left


def _rest_of_array(events):
    """Read past the rest of the array whose items are being read; None."""
    skip_value(events, 'start_array')
    return None
