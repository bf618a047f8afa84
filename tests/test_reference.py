"""The reference meets the contract's numerical promises, edge cases and conventions."""

import math

import numpy as np
import pytest

from solution import activations, deep, losses, two_layer

# Underflow to 0 is the right answer far in a tail; anything else is a bug.
NO_OVERFLOW = dict(over='raise', invalid='raise', divide='raise')


def test_relu_and_its_gradient_at_exactly_zero():
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(activations.relu(x), [[0.0, 0.0, 3.0]])
    g = activations.gradRelu(x)
    assert g.dtype.kind == 'f'
    np.testing.assert_array_equal(g, [[0.0, 0.0, 1.0]])


def test_sigmoid_is_exact_and_finite_up_to_1000():
    x = np.linspace(-1000, 1000, 2001)
    with np.errstate(**NO_OVERFLOW):
        s = activations.sigmoid(x)
    expected = np.array([1 / (1 + math.exp(-v)) if v > -700 else 0.0 for v in x])
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s, expected, rtol=0, atol=1e-12)
    # Far in the left tail the value is tiny but its relative accuracy is kept.
    assert activations.sigmoid(np.array([-30.0]))[0] == pytest.approx(math.exp(-30) / (1 + math.exp(-30)), rel=1e-12)


def test_tanh_and_derivatives_are_finite_at_1000():
    x = np.array([-1000.0, 0.0, 1000.0])
    with np.errstate(**NO_OVERFLOW):
        for act in ('tanh', 'sigmoid', 'relu'):
            assert np.all(np.isfinite(activations.actFun(x, act)))
            assert np.all(np.isfinite(activations.diff_actFun(x, act)))
    np.testing.assert_allclose(activations.tanh(x), [-1.0, 0.0, 1.0])


@pytest.mark.parametrize('function', [activations.actFun, activations.diff_actFun])
def test_unknown_activation_is_a_value_error(function):
    with pytest.raises(ValueError, match='softplus'):
        function(np.zeros((2, 2)), 'softplus')


def test_softmax_of_huge_logits():
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0], [-1e4, -1e4, -1e4]])
    with np.errstate(**NO_OVERFLOW):
        p = losses.softmax(x)
    np.testing.assert_allclose(p, [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-15)


def test_softmax_rows_sum_to_one_and_match_the_definition():
    x = np.random.default_rng(0).standard_normal((6, 4))
    e = np.exp(x)
    np.testing.assert_allclose(losses.softmax(x), e / e.sum(axis=1, keepdims=True), rtol=1e-14)


def test_average_cross_entropy_with_exact_zeros():
    target = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    prediction = np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]])
    with np.errstate(**NO_OVERFLOW):
        loss = losses.averageCE(target, prediction)
    assert isinstance(loss, float)
    assert loss == pytest.approx(-(math.log(0.5) + math.log(0.25)) / 2, rel=1e-15)


def test_gradCE_is_prediction_minus_target_over_n():
    target, prediction = np.eye(3)[[0, 2]], np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    np.testing.assert_allclose(losses.gradCE(target, prediction), (prediction - target) / 2)


def test_bias_gradients_are_row_vectors():
    rng = np.random.default_rng(0)
    x, W_h, b_h, W_o = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), np.zeros((1, 4)), rng.standard_normal((4, 2))
    target, prediction = np.eye(2)[[0, 1, 1, 0, 1]], np.full((5, 2), 0.5)
    assert two_layer.dL_db_o(target, prediction).shape == (1, 2)
    assert two_layer.dL_db_h(target, prediction, W_o, x, W_h, b_h).shape == (1, 4)
    assert two_layer.dL_dW_h(target, prediction, W_o, x, W_h, b_h).shape == (3, 4)


def test_init_params_shapes_scale_and_seed():
    p = two_layer.init_params(400, 300, 10, seed=7)
    assert {k: v.shape for k, v in p.items()} == {'W1': (400, 300), 'b1': (1, 300), 'W2': (300, 10), 'b2': (1, 10)}
    assert not p['b1'].any() and not p['b2'].any()
    assert np.std(p['W1']) == pytest.approx(1 / math.sqrt(400), rel=0.02)
    assert np.std(p['W2']) == pytest.approx(1 / math.sqrt(300), rel=0.05)
    again = two_layer.init_params(400, 300, 10, seed=7)
    assert all(np.array_equal(p[k], again[k]) for k in p)
    assert not np.array_equal(p['W1'], two_layer.init_params(400, 300, 10, seed=8)['W1'])


def test_init_deep_matches_init_params_for_one_hidden_layer():
    p, q = deep.init_deep([5, 4, 3], seed=3), two_layer.init_params(5, 4, 3, seed=3)
    assert p.keys() == q.keys()
    assert all(np.array_equal(p[k], q[k]) for k in p)


def test_momentum_step_on_known_values():
    params = {'W': np.array([[1.0, 2.0]]), 'b': np.array([[0.5]])}
    grads = {'W': np.array([[0.1, -0.2]]), 'b': np.array([[1.0]])}
    velocity = {'W': np.array([[0.3, 0.0]]), 'b': np.array([[-1.0]])}
    new_params, new_velocity = two_layer.momentum_step(params, grads, velocity, epsilon=0.5, momentum=0.9)
    np.testing.assert_allclose(new_velocity['W'], [[0.9 * 0.3 - 0.05, 0.1]])
    np.testing.assert_allclose(new_velocity['b'], [[-0.9 - 0.5]])
    np.testing.assert_allclose(new_params['W'], [[1.0 + 0.22, 2.1]])
    np.testing.assert_allclose(new_params['b'], [[0.5 - 1.4]])
    assert params['W'][0, 0] == 1.0, 'inputs are left alone'


@pytest.mark.parametrize('act', ['tanh', 'sigmoid', 'relu'])
def test_fit_model_follows_the_update_rule(act):
    """Replaying init_params, backprop and momentum_step reproduces fit_model exactly."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 3, 20)
    kwargs = dict(epsilon=0.05, reg_lambda=0.01, momentum=0.8)
    params, losses_ = two_layer.fit_model(X, y, 4, act, num_passes=5, seed=11, **kwargs)
    expected = two_layer.init_params(3, 4, 3, seed=11)
    velocity = {k: np.zeros_like(v) for k, v in expected.items()}
    for i in range(5):
        assert losses_[i] == pytest.approx(two_layer.calculate_loss(X, y, expected, act, 0.01), rel=1e-12)
        grads = two_layer.backprop(X, y, expected, act, 0.01)
        expected, velocity = two_layer.momentum_step(expected, grads, velocity, 0.05, 0.8)
    assert len(losses_) == 5
    for k in expected:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12)


def test_deep_fit_follows_the_update_rule():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    layers = [3, 5, 4, 2]
    params, losses_ = deep.deep_fit(X, y, layers, 'tanh', epsilon=0.05, num_passes=4, reg_lambda=0.01,
                                    momentum=0.9, seed=2)
    expected = deep.init_deep(layers, seed=2)
    velocity = {k: np.zeros_like(v) for k, v in expected.items()}
    for i in range(4):
        assert losses_[i] == pytest.approx(deep.deep_loss(X, y, expected, 'tanh', 0.01), rel=1e-12)
        grads = deep.deep_backprop(X, y, expected, 'tanh', 0.01)
        expected, velocity = two_layer.momentum_step(expected, grads, velocity, 0.05, 0.9)
    for k in expected:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12)


def test_deep_network_with_one_hidden_layer_is_the_two_layer_network():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 4, 8)
    p = two_layer.init_params(3, 5, 4, seed=1)
    for act in ('tanh', 'sigmoid', 'relu'):
        np.testing.assert_allclose(deep.deep_feedforward(X, p, act), two_layer.feedforward(X, p, act))
        assert deep.deep_loss(X, y, p, act, 0.1) == pytest.approx(two_layer.calculate_loss(X, y, p, act, 0.1))
        np.testing.assert_array_equal(deep.deep_predict(X, p, act), two_layer.predict(X, p, act))


def test_predict_returns_integer_labels():
    X = np.random.default_rng(3).standard_normal((9, 2))
    labels = two_layer.predict(X, two_layer.init_params(2, 3, 4), 'relu')
    assert labels.shape == (9,) and labels.dtype.kind == 'i'
    assert set(labels) <= {0, 1, 2, 3}


def test_float32_inputs_are_handled():
    X = np.random.default_rng(4).standard_normal((10, 2)).astype(np.float32)
    y = np.arange(10) % 2
    params, losses_ = two_layer.fit_model(X, y, 3, num_passes=10)
    assert np.all(np.isfinite(losses_))
    assert two_layer.predict(X, params).shape == (10,)
