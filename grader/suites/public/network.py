"""The grader's own forward pass and loss, for public tests that must not lean on a second
student function: a test of fit_model scores the trained parameters with these, not
with the student's predict.

The two-layer params {'W1', 'b1', 'W2', 'b2'} are the deep network's with L = 2, so one
implementation serves both.
"""

import numpy as np

from grader.engine.gradcheck import numerical_gradients


def _activation(z, act):
    if act == 'tanh':
        return np.tanh(z)
    if act == 'sigmoid':
        return 0.5 * (1.0 + np.tanh(0.5 * z))       # the logistic function, without overflow
    return np.where(z > 0, z, 0.0)


def probabilities(X, params, act):
    """Class probabilities (N, C) of the network params = {'W1', 'b1', ..., 'WL', 'bL'}."""
    depth = sum(name.startswith('W') for name in params)
    out = np.asarray(X, dtype=np.float64)
    for l in range(1, depth + 1):
        out = out @ np.asarray(params[f'W{l}'], dtype=np.float64) + np.asarray(params[f'b{l}'], dtype=np.float64)
        if l < depth:
            out = _activation(out, act)
    shifted = np.exp(out - out.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def labels(X, params, act):
    """The most probable class of each row of X, (N,)."""
    return np.argmax(probabilities(X, params, act), axis=1)


def loss(X, y, params, act, reg):
    """The contract's loss: mean cross-entropy plus reg / 2 times every sum(Wl**2)."""
    probs = probabilities(X, params, act)
    data = -np.mean(np.log(probs[np.arange(len(y)), y]))
    return float(data + reg / 2 * sum(np.sum(np.square(v)) for k, v in params.items() if k.startswith('W')))


def loss_and_numerical_grads(X, y, act, reg):
    """A function params -> (loss, centered-difference gradients), for replaying training."""
    def step(params):
        params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        value = loss(X, y, params, act, reg)
        return value, numerical_gradients(lambda: loss(X, y, params, act, reg), params)
    return step
