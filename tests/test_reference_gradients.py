"""Every gradient of the reference agrees with float64 centered differences.

Inputs are drawn so that no ReLU pre-activation lies within KINK of 0, where the
finite difference would straddle the kink; each test asserts that margin first.
"""

import numpy as np
import pytest

from grader.engine.gradcheck import numerical_gradient, numerical_gradients, relative_error
from grader.spec import ACTIVATIONS
from solution import activations, deep, losses, two_layer

TOLERANCE = 1e-7
KINK = 1e-3


def away_from_kink(z):
    """Move entries within KINK of 0 out to ±2 KINK, keeping their sign."""
    return np.where(np.abs(z) < KINK, np.copysign(2 * KINK, z), z)


def network(seed, n=6, d=4, h=5, c=3):
    """Inputs, labels and perturbed two-layer params whose hidden pre-activations avoid 0."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, n)
    params = two_layer.init_params(d, h, c, seed=seed)
    params['b1'] = rng.standard_normal((1, h)) * 0.1
    params['b2'] = rng.standard_normal((1, c)) * 0.1
    # Nudge the biases until every hidden pre-activation is clear of the kink.
    z = X @ params['W1'] + params['b1']
    params['b1'] = params['b1'] + np.max(away_from_kink(z) - z, axis=0, keepdims=True)
    assert np.min(np.abs(X @ params['W1'] + params['b1'])) > KINK
    return X, y, params


def test_relative_error_of_the_helper_itself():
    x = np.random.default_rng(0).standard_normal((3, 4))
    numeric = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    assert relative_error(3 * x ** 2, numeric) < TOLERANCE
    assert relative_error(2 * x ** 2, numeric) > 0.1


@pytest.mark.parametrize('act', ACTIVATIONS)
def test_diff_actFun(act):
    z = away_from_kink(np.random.default_rng(1).standard_normal((5, 4)) * 3)
    numeric = numerical_gradient(lambda: float(np.sum(activations.actFun(z, act))), z)
    assert relative_error(activations.diff_actFun(z, act), numeric) < TOLERANCE


def test_gradRelu():
    z = away_from_kink(np.random.default_rng(2).standard_normal((5, 4)))
    numeric = numerical_gradient(lambda: float(np.sum(activations.relu(z))), z)
    assert relative_error(activations.gradRelu(z), numeric) < TOLERANCE


@pytest.mark.parametrize('n, c', [(1, 2), (7, 3), (5, 10)])
def test_gradCE_is_the_gradient_of_the_loss_at_the_logits(n, c):
    rng = np.random.default_rng(n)
    o = rng.standard_normal((n, c)) * 2
    target = np.eye(c)[rng.integers(0, c, n)]
    numeric = numerical_gradient(lambda: losses.averageCE(target, losses.softmax(o)), o)
    assert relative_error(losses.gradCE(target, losses.softmax(o)), numeric) < TOLERANCE


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_part_a_gradients(seed):
    X, y, p = network(seed)
    target = np.eye(3)[y]
    W_h, b_h, W_o, b_o = p['W1'], p['b1'], p['W2'], p['b2']

    def loss():
        h = activations.relu(two_layer.compute(X, W_h, b_h))
        return losses.averageCE(target, losses.softmax(two_layer.compute(h, W_o, b_o)))

    h = activations.relu(two_layer.compute(X, W_h, b_h))
    prediction = losses.softmax(two_layer.compute(h, W_o, b_o))
    analytic = {
        'W_o': two_layer.dL_dW_o(target, prediction, h),
        'b_o': two_layer.dL_db_o(target, prediction),
        'W_h': two_layer.dL_dW_h(target, prediction, W_o, X, W_h, b_h),
        'b_h': two_layer.dL_db_h(target, prediction, W_o, X, W_h, b_h),
    }
    numeric = numerical_gradients(loss, {'W_o': W_o, 'b_o': b_o, 'W_h': W_h, 'b_h': b_h})
    for name, value in analytic.items():
        assert value.shape == numeric[name].shape, name
        assert relative_error(value, numeric[name]) < TOLERANCE, name


@pytest.mark.parametrize('act', ACTIVATIONS)
@pytest.mark.parametrize('reg', [0.0, 0.1])
def test_backprop(act, reg):
    X, y, p = network(3)
    analytic = two_layer.backprop(X, y, p, act, reg)
    numeric = numerical_gradients(lambda: two_layer.calculate_loss(X, y, p, act, reg), p)
    assert analytic.keys() == p.keys()
    for name in p:
        assert relative_error(analytic[name], numeric[name]) < TOLERANCE, name


@pytest.mark.parametrize('act', ACTIVATIONS)
@pytest.mark.parametrize('reg', [0.0, 0.1])
@pytest.mark.parametrize('layers', [[4, 3], [4, 6, 3], [4, 6, 5, 3]])
def test_deep_backprop(act, reg, layers):
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    p = deep.init_deep(layers, seed=5)
    a = X
    for l in range(1, len(layers) - 1):
        z = a @ p[f'W{l}'] + p[f'b{l}']
        p[f'b{l}'] = p[f'b{l}'] + np.max(away_from_kink(z) - z, axis=0, keepdims=True)
        z = a @ p[f'W{l}'] + p[f'b{l}']
        assert np.min(np.abs(z)) > KINK
        a = activations.actFun(z, act)
    analytic = deep.deep_backprop(X, y, p, act, reg)
    numeric = numerical_gradients(lambda: deep.deep_loss(X, y, p, act, reg), p)
    assert analytic.keys() == p.keys()
    for name in p:
        assert relative_error(analytic[name], numeric[name]) < TOLERANCE, name
