"""The grader's own numpy MLP of Parts 7 and 8, written from the contract's formulas.

The hidden tests score and replay with it instead of leaning on a second student function,
and the diagnoses run it with a known mistake built in (masks drawn another way, the batch's
statistics at inference) to compute the wrong answer a mistake gives; tools/expected_mlp.py
runs those diagnoses on the public inputs. Nothing here uses the reference solution, and none
of it is shipped to students.

The network: hidden layer l = 1..L-1 computes h = a @ Wl, then z = batch norm of h (when
params has gammal) or h + bl, then a = actFun(z) and, at training time, dropout of a; the
output layer gives the scores a @ WL + bL.
"""

import numpy as np

from grader.engine.gradcheck import numerical_gradients
from grader.spec import BATCHNORM_EPS as EPS

RUNNING = 'running_'


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))        # the logistic function, without overflow


ACTIVATIONS = {'tanh': np.tanh, 'sigmoid': _sigmoid, 'relu': lambda z: np.where(z > 0, z, 0.0)}


def learned(params):
    """The learned parameters of params: every one but the running statistics."""
    return {name: value for name, value in params.items() if not name.startswith(RUNNING)}


def depth(params):
    """L, the number of weight layers."""
    return sum(1 for name in params if name.startswith('W'))


def batch_statistics(h):
    """(mean, biased variance) of the columns of h, (1, D) each, by their definitions."""
    mean = h.sum(axis=0, keepdims=True) / len(h)
    return mean, np.square(h - mean).sum(axis=0, keepdims=True) / len(h)


def dropout(keep_prob, seed, kind='contract'):
    """A function a -> a after dropout, its masks drawn in order by the recipe `kind`:

    - 'contract': one np.random.default_rng(seed), mask = random((N, n_l)) < keep_prob,
      a * mask / keep_prob
    - 'unscaled': the same masks without the 1 / keep_prob
    - 'reversed': mask = random >= keep_prob, scaled
    - 'per layer': every layer's mask from a new np.random.default_rng(seed)
    """
    stream = np.random.default_rng(seed)

    def apply(a):
        numbers = (np.random.default_rng(seed) if kind == 'per layer' else stream).random(a.shape)
        mask = numbers >= keep_prob if kind == 'reversed' else numbers < keep_prob
        return a * mask / (1.0 if kind == 'unscaled' else keep_prob)
    return apply


def forward(X, params, act='relu', mode='train', drop=None):
    """(scores (N, C), {l: (mean, var)} of the batch-normalised layers).

    Inputs:
    - X: (N, D)
    - params: as init_mlp returns
    - act: 'tanh', 'sigmoid' or 'relu'
    - mode: 'train' normalises with the batch's statistics (and returns them), 'inference'
      with the running statistics
    - drop: None, or a function a -> a applied to every hidden layer's output (see dropout)
    """
    scores, statistics, _ = _run(X, params, act, mode, drop)
    return scores, statistics


def hidden_pre_activations(X, params, act='relu', mode='train', drop=None):
    """[z of layer l, (N, n_l)] for l = 1..L-1, to keep inputs clear of relu's kink; arguments as forward."""
    return _run(X, params, act, mode, drop)[2]


def _run(X, params, act, mode, drop):
    a, statistics, zs = np.asarray(X, dtype=np.float64), {}, []
    for l in range(1, depth(params)):
        pre = a @ params[f'W{l}']
        normalised = f'gamma{l}' in params
        if normalised and mode == 'train':
            mean, var = statistics[l] = batch_statistics(pre)
        elif normalised:
            mean, var = params[f'running_mean{l}'], params[f'running_var{l}']
        z = (params[f'gamma{l}'] * (pre - mean) / np.sqrt(var + EPS) + params[f'beta{l}'] if normalised
             else pre + params[f'b{l}'])
        zs.append(z)
        a = ACTIVATIONS[act](z)
        if drop is not None:
            a = drop(a)
    last = depth(params)
    return a @ params[f'W{last}'] + params[f'b{last}'], statistics, zs


def loss(X, y, params, act='relu', reg=0.0, drop=None):
    """The contract's loss in training mode: mean cross-entropy plus reg / 2 * every sum(Wl**2)."""
    scores, _ = forward(X, params, act, 'train', drop)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    data = -np.mean(log_probs[np.arange(len(y)), np.asarray(y)])
    return float(data + reg / 2 * sum(np.sum(np.square(params[f'W{l}'])) for l in range(1, depth(params) + 1)))


def labels(X, params, act='relu', mode='inference'):
    """The most probable class of every row of X, (N,); mode as forward."""
    return np.argmax(forward(X, params, act, mode)[0], axis=1)


def numerical_step(act, reg):
    """A function (X, y, params) -> (loss, centered-difference gradients of the learned
    parameters), without dropout: the grader's own step for replaying mlp_fit."""
    def step(X, y, params):
        params = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
        value = loss(X, y, params, act, reg)
        return value, numerical_gradients(lambda: loss(X, y, params, act, reg), learned(params))
    return step
