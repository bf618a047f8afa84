"""The fixed inputs of the public tests.

Their expected outputs, computed once from the reference implementation, live in
expected.json beside this file (regenerate with `python -m tools.expected`).
"""

import json
from pathlib import Path

import numpy as np

EXPECTED_FILE = Path(__file__).with_name('expected.json')


def part_a():
    """A ReLU network with N=4, D=3, H=5, C=3: x, W_h, b_h, W_o, b_o, target (one-hot)."""
    rng = np.random.default_rng(101)
    return {
        'x': rng.standard_normal((4, 3)),
        'W_h': rng.standard_normal((3, 5)),
        'b_h': rng.standard_normal((1, 5)) * 0.1,
        'W_o': rng.standard_normal((5, 3)),
        'b_o': rng.standard_normal((1, 3)) * 0.1,
        'target': np.eye(3)[[0, 2, 1, 2]],
    }


def network():
    """Data and two-layer params with N=6, D=2, H=4, C=3: X, y, params."""
    rng = np.random.default_rng(202)
    return {
        'X': rng.standard_normal((6, 2)),
        'y': np.array([0, 1, 2, 2, 1, 0]),
        'params': {'W1': rng.standard_normal((2, 4)), 'b1': rng.standard_normal((1, 4)) * 0.1,
                   'W2': rng.standard_normal((4, 3)), 'b2': rng.standard_normal((1, 3)) * 0.1},
    }


DEEP_LAYERS = [2, 5, 4, 3]


def deep_network():
    """Data and params of a [2, 5, 4, 3] network: X, y, params."""
    rng = np.random.default_rng(303)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(DEEP_LAYERS[:-1], DEEP_LAYERS[1:]), start=1):
        params[f'W{l}'] = rng.standard_normal((fan_in, fan_out))
        params[f'b{l}'] = rng.standard_normal((1, fan_out)) * 0.1
    return {'X': rng.standard_normal((6, 2)), 'y': np.array([2, 0, 1, 1, 0, 2]), 'params': params}


def expected(key, file=EXPECTED_FILE):
    """The reference's output for one public case, as float arrays (or a float), from
    expected.json or another file of expectations beside it."""
    value = json.loads(Path(file).read_text())[key]
    if isinstance(value, dict):
        return {name: np.array(item) for name, item in value.items()}
    return np.array(value) if isinstance(value, list) else value
