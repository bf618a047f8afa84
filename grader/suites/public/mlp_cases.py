"""The fixed inputs of Part 7's public tests.

Every expected output and every known mistake's wrong output on these inputs was computed
once from the reference implementation and lives in expected_mlp.json beside this file
(regenerate with `python -m tools.expected_mlp`). Nothing here computes an answer.
"""

import numpy as np

from grader.spec import DEFAULTS

from .fits import mlp_shapes

EXPECTED_FILE = 'expected_mlp.json'
LAYERS = [3, 5, 4, 3]
# mlp_fit's arguments in the public fit tests: no dropout, so that a fit has one right trajectory.
FIT = dict(actFun_type='tanh', epsilon=0.1, momentum=0.9, reg_lambda=0.01, keep_prob=1.0, batchnorm=True,
           num_epochs=2, batch_size=8, seed=5)


def dropout_case():
    """x and dout (4, 5) for dropout, and a mask (4, 5) of about half ones for dropout_backward."""
    rng = np.random.default_rng(701)
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    return {'x': x, 'dout': dout, 'mask': np.where(np.random.default_rng(3).random(x.shape) < 0.5, 1.0, 0.0)}


def batchnorm_case():
    """x (6, 3) whose columns are far from mean 0 and variance 1; gamma, beta, dout, and running
    statistics unlike the batch's."""
    rng = np.random.default_rng(702)
    return {'x': rng.standard_normal((6, 3)) * 2.0 + 1.0, 'gamma': 1.0 + 0.5 * rng.standard_normal((1, 3)),
            'beta': 0.5 * rng.standard_normal((1, 3)), 'dout': rng.standard_normal((6, 3)),
            'running_mean': np.array([[0.5, -0.5, 1.5]]), 'running_var': np.array([[2.0, 0.5, 4.0]])}


def random_params(rng, layers, batchnorm):
    """Random params of init_mlp's keys and shapes for these layer sizes, away from its
    starting values, with running statistics unlike a batch's of standard inputs.

    Inputs:
    - rng: the np.random.Generator to draw from
    - layers: [D, H1, ..., C]
    - batchnorm: whether the hidden layers have gamma, beta and running statistics
    """
    return {name: _random_entry(rng, name.rstrip('0123456789'), shape)
            for name, shape in mlp_shapes(layers, batchnorm).items()}


def _random_entry(rng, kind, shape):
    if kind == 'W':
        return rng.standard_normal(shape) / np.sqrt(shape[0]) * 1.5
    if kind == 'gamma':
        return 1.0 + 0.4 * rng.standard_normal(shape)
    if kind == 'running_var':
        return rng.uniform(0.3, 3.0, shape)
    return 0.8 * rng.standard_normal(shape)


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
