"""The fixed inputs of the public tests of Parts 1-5.

What the reference answers on them, and the wrong answers of the known mistakes, live in
expected.json beside this file (regenerate with `python -m tools.expected`); the tests
read them with expectations.expected and expectations.mistakes.
"""

import math
from pathlib import Path

import numpy as np

EXPECTED_FILE = Path(__file__).with_name('expected.json')

# Part 1: activations.
ACTIVATION_INPUT = np.array([[-3.0, -0.5, 0.0], [0.25, 1.0, 4.0]])
# diff_actFun's input: ACTIVATION_INPUT moved off relu's kink at 0, for centered differences.
DERIVATIVE_INPUT = ACTIVATION_INPUT + 0.01

# Part 2: softmax and cross-entropy.
LOGITS = np.array([[0.0, math.log(3.0)], [1.0, 1.0], [2.0, 0.0]])
HUGE_LOGITS = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4, -1e4]])
TARGET = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
PREDICTION = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]])
PREDICTION_WITH_ZEROS = np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]])
# The logits o of gradCE's gradient check; its prediction softmax(o) is in expected.json.
GRAD_CHECK_LOGITS = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])


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


# Part 4: momentum_step's arguments, and the keyword arguments of the fits the tests replay.
MOMENTUM_STEP = {'params': {'W': np.array([[1.0, 2.0]]), 'b': np.array([[0.5]])},
                 'grads': {'W': np.array([[0.1, -0.2]]), 'b': np.array([[1.0]])},
                 'velocity': {'W': np.array([[0.3, 0.0]]), 'b': np.array([[-1.0]])},
                 'epsilon': 0.5, 'momentum': 0.9}
FIT_MODEL = dict(actFun_type='tanh', epsilon=0.05, num_passes=4, reg_lambda=0.01, momentum=0.9, seed=3)
DEFAULTS_HIDDEN_DIM = 3     # fit_model(X, y, 3) with the contract's defaults

DEEP_LAYERS = [2, 5, 4, 3]
DEEP_FIT = dict(actFun_type='tanh', epsilon=0.05, num_passes=4, reg_lambda=0.01, momentum=0.9, seed=2)


def deep_network():
    """Data and params of a [2, 5, 4, 3] network: X, y, params."""
    rng = np.random.default_rng(303)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(DEEP_LAYERS[:-1], DEEP_LAYERS[1:]), start=1):
        params[f'W{l}'] = rng.standard_normal((fan_in, fan_out))
        params[f'b{l}'] = rng.standard_normal((1, fan_out)) * 0.1
    return {'X': rng.standard_normal((6, 2)), 'y': np.array([2, 0, 1, 1, 0, 2]), 'params': params}

