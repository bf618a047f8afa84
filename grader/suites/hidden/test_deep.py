"""Part 5, hidden: the n-layer network on random inputs, its training, and its accuracy."""

import numpy as np
import pytest

from grader.checks import Mismatch, expect_array, expect_gradient, expect_labels, expect_params, expect_scalar
from grader.gradcheck import numerical_gradients
from grader.suites.training import expect_accuracy, expect_training
from grader.tasks import TASKS
from solution import deep as ref

from .nets import ACTIVATIONS, deep_net

DEPTHS = ([3, 5, 4], [3, 6, 5, 4], [3, 4, 5, 4, 3])
CALIBRATED_SEEDS = 20
DEEP_MOONS_THRESHOLD = 0.89   # reference: mean 0.957, min 0.927 over seeds 0..19; margin 0.037


def shapes(params):
    return {k: np.shape(v) for k, v in params.items()}


@pytest.mark.points(1, 'init_deep')
def test_init_deep_scale_and_seed(student, rng):
    """init_deep: every layer scaled by 1/sqrt(fan_in), zero biases, seeded"""
    layers, seed = [200, 300, 100, 10], int(rng.integers(1000))
    expected_shapes = shapes(ref.init_deep(layers, seed))
    params = expect_params(student.deep.init_deep(layers, seed=seed), expected_shapes, f'init_deep({layers}, seed={seed})')
    for l, fan_in in enumerate(layers[:-1], start=1):
        std = float(np.std(np.asarray(params[f'W{l}'])))
        if abs(std * np.sqrt(fan_in) - 1) > 0.06:
            raise Mismatch(f"init_deep({layers})['W{l}'] has standard deviation {std:.4f}; expected "
                           f'1/sqrt(fan_in) = {1 / np.sqrt(fan_in):.4f}')
        expect_array(params[f'b{l}'], np.zeros(expected_shapes[f'b{l}']), f"init_deep({layers})['b{l}']")
    again = student.deep.init_deep(layers, seed=seed)
    if not np.array_equal(np.asarray(again['W2']), np.asarray(params['W2'])):
        raise Mismatch('init_deep gives different weights for the same seed')


@pytest.mark.points(2, 'deep_feedforward')
def test_deep_feedforward_at_several_depths(student, rng):
    """deep_feedforward matches the reference with 1, 2 and 3 hidden layers"""
    for layers in DEPTHS:
        for act in ACTIVATIONS:
            net = deep_net(rng, layers, 6, act)
            expect_array(student.deep.deep_feedforward(net['X'], net['params'], act),
                         ref.deep_feedforward(net['X'], net['params'], act),
                         f"deep_feedforward(X, params, '{act}') for layers {layers}")


@pytest.mark.points(1, 'deep_loss')
def test_deep_loss_with_l2(student, rng):
    """deep_loss matches the reference with L2 over every layer"""
    for layers in DEPTHS:
        net, reg = deep_net(rng, layers, 7, 'tanh'), float(rng.uniform(0.05, 0.5))
        expect_scalar(student.deep.deep_loss(net['X'], net['y'], net['params'], 'tanh', reg),
                      ref.deep_loss(net['X'], net['y'], net['params'], 'tanh', reg),
                      f"deep_loss(X, y, params, 'tanh', {reg:.3g}) for layers {layers}", batch=7)


def check_deep_backprop(student, net, layers, act, reg):
    params = net['params']
    what = f"deep_backprop(X, y, params, '{act}', {reg:.3g}) for layers {layers}"
    grads = expect_params(student.deep.deep_backprop(net['X'], net['y'], params, act, reg), shapes(params), what)
    numeric = numerical_gradients(lambda: ref.deep_loss(net['X'], net['y'], params, act, reg), params)
    for name in params:
        mistakes = []
        if name.startswith('W') and reg:
            mistakes = [(numeric[name] + reg * params[name], 'the gradient of lambda/2 * sum(W**2) is lambda * W, not 2 * lambda * W'),
                        (numeric[name] - reg * params[name], 'the L2 term lambda * W is missing from the gradient')]
        expect_gradient(grads[name], numeric[name], f"{what}['{name}']", batch=len(net['y']), known_mistakes=mistakes)


@pytest.mark.points(1, 'deep_backprop')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_deep_backprop_gradient_check(student, rng, act):
    """deep_backprop passes the numerical gradient check at several depths, with and without L2"""
    for layers in DEPTHS:
        for reg in (0.0, float(rng.uniform(0.05, 0.5))):
            check_deep_backprop(student, deep_net(rng, layers, 5, act), layers, act, reg)


@pytest.mark.points(1, 'deep_backprop')
def test_deep_backprop_without_hidden_layers_and_with_four(student, rng):
    """deep_backprop for [D, C] (no hidden layer) and for four hidden layers"""
    for layers in ([4, 3], [3, 4, 4, 3, 4, 2]):
        check_deep_backprop(student, deep_net(rng, layers, 5, 'sigmoid'), layers, 'sigmoid', 0.1)


@pytest.mark.points(1, 'deep_predict')
def test_deep_predict(student, rng):
    """deep_predict matches the reference's labels"""
    # A random ReLU net can send every sample to one class, and then a constant answer
    # would pass: draw until the labels take at least 3 of the 4 values.
    net = deep_net(rng, [3, 6, 5, 4], 25, 'relu')
    while len(np.unique(ref.deep_predict(net['X'], net['params'], 'relu'))) < 3:
        net = deep_net(rng, [3, 6, 5, 4], 25, 'relu')
    got = expect_labels(student.deep.deep_predict(net['X'], net['params'], 'relu'), 25, 4,
                        "deep_predict(X, params, 'relu')")
    expect_array(got.astype(float), ref.deep_predict(net['X'], net['params'], 'relu'), "deep_predict(X, params, 'relu')")


@pytest.mark.points(1, 'deep_fit')
@pytest.mark.training
def test_deep_fit_follows_the_update_rule(student, rng):
    """deep_fit: the first passes follow the update rule, from your own init_deep"""
    layers, act = [3, 5, 4, 3], str(rng.choice(ACTIVATIONS))
    net, seed = deep_net(rng, layers, 10, act), int(rng.integers(1000))
    fit = dict(actFun_type=act, epsilon=float(rng.uniform(0.02, 0.2)), num_passes=4,
               reg_lambda=float(rng.uniform(0.0, 0.1)), momentum=float(rng.uniform(0.5, 0.95)), seed=seed)
    params0 = expect_params(student.deep.init_deep(layers, seed=seed), shapes(net['params']),
                            f'init_deep({layers}, seed={seed})')
    params0 = {k: np.asarray(v, dtype=np.float64) for k, v in params0.items()}

    def reference_step(params):
        return ref.deep_loss_and_grads(net['X'], net['y'], params, act, fit['reg_lambda'])

    got = student.deep.deep_fit(net['X'], net['y'], layers, **fit)
    expect_training(got, params0, reference_step, fit, f'deep_fit(X, y, {layers}, ...)')


@pytest.mark.points(2, 'deep_fit', 'deep_predict')
@pytest.mark.training
def test_deep_fit_learns_moons(student, grading_seed):
    """deep_fit learns make_moons: held-out accuracy of a [2, 10, 10, 2] tanh network"""
    expect_accuracy(TASKS[3], student, grading_seed % CALIBRATED_SEEDS, DEEP_MOONS_THRESHOLD,
                    'the reference reaches at least 0.927 on every calibrated seed')
