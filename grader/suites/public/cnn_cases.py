"""The fixed inputs of Part 6's public tests.

Their expected outputs, computed once from the reference implementation, live in
expected_cnn.json beside this file (regenerate with `python -m tools.expected_cnn`).
"""

from pathlib import Path

import numpy as np

from grader.spec import DEFAULTS

EXPECTED_FILE = Path(__file__).with_name('expected_cnn.json')

# (stride, pad) of the public convolutions: stride 1 without padding, stride 2 with padding 1.
CONV_SETTINGS = ((1, 0), (2, 1))
CONV_IDS = [f'stride {stride}, pad {pad}' for stride, pad in CONV_SETTINGS]
# (size, stride) of the public max-pooling: non-overlapping 2 x 2 windows, overlapping 3 x 3 ones.
POOL_SETTINGS = ((2, 2), (3, 1))
POOL_IDS = [f'size {size}, stride {stride}' for size, stride in POOL_SETTINGS]


def out_size(size, k, stride, pad):
    return 1 + (size + 2 * pad - k) // stride


def convolution():
    """x (2, 3, 5, 7), W (4, 3, 3, 3), b (4,) and, for each of CONV_SETTINGS, a dout of the
    output's shape: {'x', 'W', 'b', 'dout': {(stride, pad): dout}}."""
    rng = np.random.default_rng(601)
    x, W, b = rng.standard_normal((2, 3, 5, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    douts = {(stride, pad): rng.standard_normal((2, 4, out_size(5, 3, stride, pad), out_size(7, 3, stride, pad)))
             for stride, pad in CONV_SETTINGS}
    return {'x': x, 'W': W, 'b': b, 'dout': douts}


def pooling():
    """x (2, 2, 4, 6) of small integers, so that many windows hold equal maxima, and for each
    of POOL_SETTINGS a dout of the output's shape: {'x', 'dout': {(size, stride): dout}}."""
    rng = np.random.default_rng(602)
    x = rng.integers(0, 4, (2, 2, 4, 6)).astype(np.float64)
    douts = {(size, stride): rng.standard_normal((2, 2, out_size(4, size, stride, 0), out_size(6, size, stride, 0)))
             for size, stride in POOL_SETTINGS}
    return {'x': x, 'dout': douts}


# init_cnn's arguments in the public tests: C = 3 input channels and F = 4 filters, so that no
# two of the scales students use coincide (1/k, 1/sqrt(F*k*k), sqrt(2/fan_in), ...).
INIT = {'input_shape': (3, 6, 4), 'num_filters': 4, 'filter_size': 5, 'hidden_dim': 7, 'num_classes': 4, 'seed': 5}
REG = 0.1


def network():
    """A network of the contract with F = 3 filters of 3 x 3, hidden_dim 5 and 4 classes, on
    5 images (2, 4, 6): {'X', 'y', 'params', 'images'}, where 'images' are 12 more to label.
    N = 5 differs from C = 4, so that a missing 1/N and an extra factor C are told apart."""
    rng = np.random.default_rng(626)
    params = {'W1': rng.standard_normal((3, 2, 3, 3)) * 0.5, 'b1': rng.standard_normal(3) * 0.1,
              'W2': rng.standard_normal((18, 5)) * 0.4, 'b2': rng.standard_normal((1, 5)) * 0.1,
              'W3': rng.standard_normal((5, 4)), 'b3': rng.standard_normal((1, 4)) * 0.1}
    return {'X': rng.standard_normal((5, 2, 4, 6)), 'y': np.array([0, 3, 1, 2, 1]), 'params': params,
            'images': rng.standard_normal((12, 2, 4, 6))}


# cnn_fit's keyword arguments in the public test: 5 images, batches of 3 and 2, two epochs.
FIT = {'num_filters': 2, 'filter_size': 3, 'hidden_dim': 3, 'epsilon': 0.1, 'momentum': 0.9, 'reg_lambda': 0.01,
       'num_epochs': 2, 'batch_size': 3, 'seed': 3}


def fit_data():
    """5 images (1, 2, 4) and their labels in 0..2: X, y."""
    rng = np.random.default_rng(604)
    return rng.standard_normal((5, 1, 2, 4)), np.array([0, 1, 2, 1, 0])


def defaults_fit_data():
    """Images (1, 2, 4) and labels in 0..2, a few more than the default batch_size: a fit whose
    default batch_size is another one takes another number of steps. X, y."""
    n = DEFAULTS['cnn_fit']['batch_size'] + 8
    rng = np.random.default_rng(606)
    return rng.standard_normal((n, 1, 2, 4)), rng.integers(0, 3, n)
