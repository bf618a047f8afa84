"""The wire format between the grader and its worker: plain data, never pickle.

A message is a JSON document in which every numpy array or numpy scalar is replaced by
a reference to a binary blob in .npy format, read back with allow_pickle=False:

    u32 length of the JSON text | JSON text | for each blob: u64 length | .npy bytes

This module depends on the standard library and numpy only: the worker uses it too.
"""

import io
import json
import struct

import numpy as np

ARRAY, SCALAR, TUPLE = '__array__', '__scalar__', '__tuple__'
MAX_MESSAGE = 512 * 2 ** 20


class CodecError(ValueError):
    """A message that is not plain data, or bytes that are not a well-formed message."""


def encode(value):
    """Bytes of one message holding `value` (plain data only, else CodecError)."""
    blobs = []
    document = json.dumps(_to_json(value, blobs, 0), allow_nan=True).encode()
    parts = [struct.pack('<I', len(document)), document]
    for blob in blobs:
        parts += [struct.pack('<Q', len(blob)), blob]
    return b''.join(parts)


def _to_json(value, blobs, depth):
    if depth > 16:
        raise CodecError('nested more than 16 levels deep')
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


def read_message(stream):
    """Read one message from a binary stream; None at a clean end of stream."""
    header = _read_exactly(stream, 4, allow_eof=True)
    if header is None:
        return None
    (length,) = struct.unpack('<I', header)
    if length > MAX_MESSAGE:
        raise CodecError(f'a message of {length} bytes')
    document = json.loads(_read_exactly(stream, length))
    blobs = []

    def blob(index):
        while len(blobs) <= index:
            (size,) = struct.unpack('<Q', _read_exactly(stream, 8))
            if size > MAX_MESSAGE:
                raise CodecError(f'an array of {size} bytes')
            blobs.append(_read_exactly(stream, size))
        return blobs[index]

    return _from_json(document, blob)


def _from_json(value, blob):
    if isinstance(value, list):
        return [_from_json(item, blob) for item in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {TUPLE}:
        return tuple(_from_json(item, blob) for item in value[TUPLE])
    for key in (ARRAY, SCALAR):
        if value.keys() == {key}:
            array = np.lib.format.read_array(io.BytesIO(blob(value[key])), allow_pickle=False)
            if array.dtype.kind not in 'biuf':
                raise CodecError(f'an array of dtype {array.dtype}')
            return array[()] if key == SCALAR else array
    return {key: _from_json(item, blob) for key, item in value.items()}


def _read_exactly(stream, size, allow_eof=False):
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            if allow_eof and not data:
                return None
            raise CodecError('the stream ended in the middle of a message')
        data += chunk
    return bytes(data)
