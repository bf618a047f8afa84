"""The fixed inputs of Part 7's public tests.

The expected outputs that have no closed form a test can spell out (batch norm's backward
pass, the network's loss and gradients, init_mlp's weights, mlp_predict's labels) were computed
once from the reference implementation and live in expected_mlp.json beside this file
(regenerate with `python -m tools.expected_mlp`).
"""

from pathlib import Path

import numpy as np

from grader.spec import DEFAULTS
from grader.suites.mlp_network import random_params

EXPECTED_FILE = Path(__file__).with_name('expected_mlp.json')
LAYERS = [3, 5, 4, 3]


def dropout_case():
    """x and dout (4, 5) for dropout."""
    rng = np.random.default_rng(701)
    return {'x': rng.standard_normal((4, 5)), 'dout': rng.standard_normal((4, 5))}


def batchnorm_case():
    """x (6, 3) whose columns are far from mean 0 and variance 1; gamma, beta, dout, and running
    statistics unlike the batch's."""
    rng = np.random.default_rng(702)
    return {'x': rng.standard_normal((6, 3)) * 2.0 + 1.0, 'gamma': 1.0 + 0.5 * rng.standard_normal((1, 3)),
            'beta': 0.5 * rng.standard_normal((1, 3)), 'dout': rng.standard_normal((6, 3)),
            'running_mean': np.array([[0.5, -0.5, 1.5]]), 'running_var': np.array([[2.0, 0.5, 4.0]])}


def network(batchnorm=True):
    """X (8, 3), y and params of a [3, 5, 4, 3] network, away from init_mlp's starting values."""
    rng = np.random.default_rng(766 if batchnorm else 704)
    params = random_params(rng, LAYERS, batchnorm)
    return {'X': rng.standard_normal((8, 3)) * 1.5 + 0.5, 'y': np.array([0, 1, 2, 2, 1, 0, 1, 2]), 'params': params}


def fit_data():
    """A training set (20, 3) whose features are far from mean 0 and variance 1, and a validation set (7, 3)."""
    rng = np.random.default_rng(705)
    X = rng.standard_normal((27, 3)) * 2.0 + 1.0
    y = (X[:, 0] > 1.0).astype(int) + (X[:, 1] > 1.0).astype(int)
    return {'X': X[:20], 'y': y[:20], 'X_val': X[20:], 'y_val': y[20:]}


def defaults_fit_data():
    """A training set (N, 3) a few samples larger than the default batch_size: a fit whose
    default batch_size is another one takes another number of steps. X, y."""
    n = DEFAULTS['mlp_fit']['batch_size'] + 8
    rng = np.random.default_rng(707)
    X = rng.standard_normal((n, 3)) * 2.0 + 1.0
    return X, (X[:, 0] > 1.0).astype(int) + (X[:, 1] > 1.0).astype(int)
