"""The wire format between the grader and its worker: plain data, never pickle.

A message is a JSON document in which every numpy array or numpy scalar is replaced by
a reference to a binary blob in .npy format, read back with allow_pickle=False:

    u32 length of the JSON text | JSON text | for each blob: u64 length | .npy bytes

A reader states how many bytes it accepts (`Bounds`): the grader reads the worker's
answers with small bounds, since a submission decides what they hold, and every array
is decoded in place from the one buffer it was read into, so a message never costs more
than about its size in memory.

What a result may hold is plain.py's policy, checked on both sides of the channel; the
codec only carries plain data, and bounds how deeply a message may nest so that
decoding one can never exhaust the stack. Whatever bytes it is given, reading raises
CodecError or Ended and nothing else: no integer longer than MAX_DIGITS, no array whose
header states a shape its bytes do not hold.

This module depends on the standard library and numpy only: the worker uses it too.
"""

import io
import json
import struct
from dataclasses import dataclass

import numpy as np

ARRAY, SCALAR, TUPLE = '__array__', '__scalar__', '__tuple__'
MAX_NESTING = 64            # a bound on recursion, not a policy: plain.MAX_DEPTH is far below it
MAX_DIGITS = 40             # of an integer in JSON: int64 and uint64 need 20
MIB = 2 ** 20


class CodecError(ValueError):
    """A message that is not plain data, or bytes that are not a well-formed message."""


class Ended(CodecError):
    """The stream ended before a whole message: the other side closed it or died."""


@dataclass(frozen=True)
class Bounds:
    """What a reader accepts in one message."""

    document: int = 4 * MIB      # bytes of JSON text
    blobs: int = 10_000          # arrays and numpy scalars
    total: int = 64 * MIB        # bytes of the whole message


# The grader trusts its own requests; a worker's answers are bounded by ANSWERS.
REQUESTS = Bounds(document=256 * MIB, blobs=10 ** 6, total=2 ** 32)
ANSWERS = Bounds()


def encode(value):
    """Bytes of one message holding `value` (plain data only, else CodecError)."""
    blobs = []
    document = json.dumps(_to_json(value, blobs, 0), allow_nan=True).encode()
    parts = [struct.pack('<I', len(document)), document]
    for blob in blobs:
        parts += [struct.pack('<Q', len(blob)), blob]
    return b''.join(parts)


def _to_json(value, blobs, depth):
    if depth > MAX_NESTING:
        raise CodecError(f'nested more than {MAX_NESTING} levels deep')
    kind = type(value)
    if kind in (bool, int, float, str, type(None)):
        return value
    if kind is np.ndarray or (isinstance(value, np.generic) and kind.__module__ == 'numpy'):
        array = np.asarray(value)
        if array.dtype.kind not in 'biuf':
            raise CodecError(f'a numpy value of dtype {array.dtype}; expected numbers')
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {SCALAR if kind is not np.ndarray else ARRAY: len(blobs) - 1}
    if kind is list:
        return [_to_json(item, blobs, depth + 1) for item in value]
    if kind is tuple:
        return {TUPLE: [_to_json(item, blobs, depth + 1) for item in value]}
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise CodecError('a dict with keys that are not strings')
        if {ARRAY, SCALAR, TUPLE} & value.keys():
            raise CodecError(f'a dict with a reserved key ({ARRAY}, {SCALAR} or {TUPLE})')
        return {key: _to_json(item, blobs, depth + 1) for key, item in value.items()}
    raise CodecError(f'a {kind.__module__}.{kind.__qualname__}; expected numpy arrays, numbers, '
                     'strings, or lists/tuples/dicts of them')


def read_message(stream, bounds=REQUESTS):
    """Read one message from a binary stream; None at a clean end of stream.

    Raises Ended for a stream that stops inside a message, and CodecError for malformed
    bytes or a message beyond `bounds`.
    """
    header = _read_exactly(stream, 4, allow_eof=True)
    if header is None:
        return None
    (length,) = struct.unpack('<I', header)
    if length > bounds.document:
        raise CodecError(f'a message of {length} bytes of JSON (at most {bounds.document} accepted)')
    document = _parse_json(_read_exactly(stream, length))
    budget = [bounds.total - 4 - length]
    blobs = []

    def blob(index):
        if type(index) is not int or not 0 <= index < bounds.blobs:
            raise CodecError(f'a reference to array {index!r}'[:100])
        while len(blobs) <= index:
            (size,) = struct.unpack('<Q', _read_exactly(stream, 8))
            budget[0] -= 8 + size
            if budget[0] < 0:
                raise CodecError(f'a message of more than {bounds.total} bytes')
            blobs.append(_read_exactly(stream, size))
        return blobs[index]

    try:
        return _from_json(document, blob, 0)
    except RecursionError:
        raise CodecError('a message nested too deeply') from None


def _parse_json(data):
    """The JSON document of a message, integers bounded to MAX_DIGITS digits."""
    try:
        return json.loads(data, parse_int=_bounded_int)
    except CodecError:
        raise
    except (ValueError, RecursionError, MemoryError) as error:   # JSONDecodeError and UnicodeDecodeError too
        raise CodecError(f'a message that is not JSON ({type(error).__name__})') from None


def _bounded_int(text):
    if len(text) > MAX_DIGITS:
        raise CodecError(f'an integer of {len(text)} digits (at most {MAX_DIGITS})')
    return int(text)


def _from_json(value, blob, depth):
    if depth > MAX_NESTING + 1:
        raise CodecError(f'a message nested more than {MAX_NESTING} levels deep')
    if isinstance(value, list):
        return [_from_json(item, blob, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {TUPLE} and isinstance(value[TUPLE], list):
        return tuple(_from_json(item, blob, depth + 1) for item in value[TUPLE])
    for key in (ARRAY, SCALAR):
        if value.keys() == {key}:
            array = _read_npy(blob(value[key]))
            return array[()] if key == SCALAR else array
    return {key: _from_json(item, blob, depth + 1) for key, item in value.items()}


def _read_npy(data):
    """The array of .npy bytes, viewing `data` itself rather than copying it."""
    stream = io.BytesIO(data)
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    try:
        version = np.lib.format.read_magic(stream)
        if version not in readers:
            raise ValueError(f'.npy version {version}')
        shape, fortran, dtype = readers[version](stream, max_header_size=10_000)
    except Exception as error:  # noqa: BLE001 - numpy parses the header with ast.literal_eval: anything goes
        raise CodecError(f'an array with a malformed .npy header ({type(error).__name__})') from None
    if dtype.kind not in 'biuf' or dtype.hasobject:
        raise CodecError(f'an array of dtype {dtype}'[:100])
    if not all(type(size) is int and 0 <= size <= len(data) for size in shape) or len(shape) > 32:
        raise CodecError('an array whose .npy header states an impossible shape')
    count = 1
    for size in shape:
        count *= size
    offset = stream.tell()
    if offset + count * dtype.itemsize != len(data):
        raise CodecError('an array whose .npy header does not match its size')
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape[::-1]).transpose() if fortran else flat.reshape(shape)


def _read_exactly(stream, size, allow_eof=False):
    """`size` bytes of the stream in one writable buffer, filled chunk by chunk."""
    data = bytearray(size)
    view, filled = memoryview(data), 0
    while filled < size:
        chunk = stream.read(size - filled)
        if not chunk:
            if allow_eof and not filled:
                return None
            raise Ended('the stream ended in the middle of a message')
        view[filled:filled + len(chunk)] = chunk
        filled += len(chunk)
    return data
