"""Plain data: the only values that cross from a submission to the grader.

A submission's return value is checked by its type, never by calling anything on it:
numeric or bool numpy arrays of exactly type ndarray, Python and numpy scalars,
strings, None, and lists, tuples and str-keyed dicts of these. Anything else (object
arrays, ndarray subclasses, custom classes with a forged __eq__) is refused.
"""

import numpy as np

SCALARS = (bool, int, float, str, type(None))
MAX_DEPTH = 8


class UnsupportedType(TypeError):
    """A value that is not plain data; the message names what was found and where."""


def check_plain(value, where='the result', depth=0):
    """Raise UnsupportedType unless `value` is plain data; return it unchanged otherwise.

    Inputs:
    - value: anything a submission returned
    - where: how to name the value in the message, e.g. "the result['W1']"
    """
    kind = type(value)
    if depth > MAX_DEPTH:
        raise UnsupportedType(f'{where} is nested more than {MAX_DEPTH} levels deep')
    if kind in SCALARS:
        return value
    if kind is np.ndarray:
        if value.dtype.kind not in 'biuf':
            raise UnsupportedType(f'{where} is an array of dtype {value.dtype}; expected numbers')
        return value
    if isinstance(value, np.generic) and kind.__module__ == 'numpy':
        if value.dtype.kind not in 'biuf':
            raise UnsupportedType(f'{where} is a numpy {value.dtype} scalar; expected a number')
        return value
    if kind in (list, tuple):
        for index, item in enumerate(value):
            check_plain(item, f'{where}[{index}]', depth + 1)
        return value
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise UnsupportedType(f'{where} has a key of type {type(key).__name__}; expected str')
            check_plain(item, f'{where}[{key!r}]', depth + 1)
        return value
    raise UnsupportedType(f'{where} is a {kind.__module__}.{kind.__qualname__}; '
                          'expected numpy arrays, numbers, or lists/tuples/dicts of them')


def copy_plain(value):
    """A deep copy of plain data, so that neither side can change the other's arrays."""
    if type(value) is np.ndarray:
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(copy_plain(item) for item in value)
    if type(value) is dict:
        return {key: copy_plain(item) for key, item in value.items()}
    return value


def describe(value):
    """A short description of plain data for feedback: shapes and dtypes, not contents."""
    if type(value) is np.ndarray:
        return f'array {value.shape} {value.dtype}'
    if type(value) is dict:
        return '{' + ', '.join(f'{key!r}: {describe(item)}' for key, item in value.items()) + '}'
    if type(value) in (list, tuple):
        if len(value) > 4:
            return f'{type(value).__name__} of {len(value)}'
        inner = ', '.join(describe(item) for item in value)
        return f'({inner})' if type(value) is tuple else f'[{inner}]'
    return repr(value)
