"""The public tests' expectations, read from the JSON files beside them.

`make assignment` writes those files from the reference (tools/expected*.py): the answers
the tests compare with, and the wrong answers of the known mistakes the feedback names,
each as a pair [value, explanation], the explanation a sentence or a Cause's
{"key", "text"}. Nothing shipped to students computes an answer.
"""

import json
from functools import cache
from pathlib import Path

import numpy as np

from grader.engine.checks import Cause

FOLDER = Path(__file__).parent


@cache
def _load(name):
    return json.loads((FOLDER / name).read_text())


def _decoded(value):
    """Plain data with its lists as float arrays and its objects as dicts of them."""
    if isinstance(value, dict):
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return np.array(value, dtype=np.float64)
    return value


def expected(key, file='expected.json'):
    """The reference's answer for one public case: a float, a float array or a dict of them."""
    return _decoded(_load(file)['answers'][key])


def mistakes(key, file='expected.json'):
    """The known wrong answers of one public case: [(value, explanation)], value decoded as
    expected() decodes an answer, the explanation a sentence or a Cause."""
    return [(_decoded(value), Cause(**why) if isinstance(why, dict) else why)
            for value, why in _load(file)['mistakes'].get(key, [])]
