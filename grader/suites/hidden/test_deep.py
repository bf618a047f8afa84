"""Part 5, hidden: the n-layer network on random inputs, its training, and its accuracy."""

import numpy as np
import pytest

from grader.engine.checks import (Cases, Mismatch, expect_every, expect_given, expect_gradient,
                                  expect_keys, expect_labels, expect_scalar)
from grader.engine.gradcheck import numerical_gradients
from grader.suites.hidden.given import expect_result_given, faults_given
from grader.suites.hidden.initialisation import expect_recipe
from grader.suites.hidden.mistakes import l2_bias_mistakes, l2_gradient_mistakes, l2_loss_mistakes
from grader.spec import ACTIVATIONS, THRESHOLDS
from grader.suites.hidden.training import contract_params, expect_accuracy, expect_training, own_update
from solution import deep as ref

from .nets import deep_net

DEPTHS = ([3, 5, 4], [3, 6, 5, 4], [3, 4, 5, 4, 3])
NO_HIDDEN_LAYER = [4, 3]


def shapes(params):
    return {k: np.shape(v) for k, v in params.items()}


@pytest.mark.points(0.6, 'init_deep')
def test_init_deep_follows_the_recipe(student, rng):
    """init_deep follows the recipe for a random seed, one generator for all layers; other seeds give other weights"""
    layers, seed = [30, 20, 12, 5], int(rng.integers(1, 1000))   # no two known scales coincide
    params = student.deep.init_deep(layers, seed=seed)
    expect_recipe(params, ref.init_deep(layers, seed), layers, seed, f'init_deep({layers}, seed={seed})')
    other = student.deep.init_deep(layers, seed=seed + 1)
    if np.array_equal(np.asarray(other['W2']), np.asarray(params['W2'])):
        raise Mismatch(f'init_deep gives the same weights for seeds {seed} and {seed + 1}: draw them from '
                       'np.random.default_rng(seed)')


def expect_deep_feedforward(student, rng, depths):
    """deep_feedforward against the reference for every depth and activation, every case checked."""
    cases = Cases()
    for layers in depths:
        for act in ACTIVATIONS:
            net = deep_net(rng, layers, 6, act)
            with cases:
                expect_result_given(student, ref, 'deep_feedforward',
                                    lambda: ref.deep_feedforward(net['X'], net['params'], act),
                                    student.deep.deep_feedforward(net['X'], net['params'], act),
                                    f"deep_feedforward(X, params, '{act}') for layers {layers}")
    cases.expect()


@pytest.mark.points(0.9, 'deep_feedforward')
def test_deep_feedforward_at_several_depths(student, rng):
    """deep_feedforward matches the reference with 1, 2 and 3 hidden layers"""
    expect_deep_feedforward(student, rng, DEPTHS)


@pytest.mark.points(0.3, 'deep_feedforward')
def test_deep_feedforward_without_hidden_layers(student, rng):
    """deep_feedforward for layers [D, C]: no hidden layer, softmax regression"""
    expect_deep_feedforward(student, rng, [NO_HIDDEN_LAYER])


@pytest.mark.points(0.6, 'deep_loss')
def test_deep_loss_with_l2(student, rng):
    """deep_loss matches the reference with L2 over every layer"""
    cases = Cases()
    for layers in DEPTHS:
        net, reg = deep_net(rng, layers, 7, 'tanh'), float(rng.uniform(0.05, 0.5))
        X, y, params = net['X'], net['y'], net['params']
        mistakes = l2_loss_mistakes(ref.deep_loss(X, y, params, 'tanh', 0.0),
                                    [v for k, v in params.items() if k.startswith('W')], reg, 7,
                                    [v for k, v in params.items() if k.startswith('b')])
        with cases:
            expect_result_given(student, ref, 'deep_loss', lambda: ref.deep_loss(X, y, params, 'tanh', reg),
                                student.deep.deep_loss(X, y, params, 'tanh', reg),
                                f"deep_loss(X, y, params, 'tanh', {reg:.3g}) for layers {layers}", check=expect_scalar,
                                batch=7, known_mistakes=mistakes)
    cases.expect()


def check_deep_backprop(student, net, layers, act, reg):
    """Every gradient of deep_backprop against centered differences of the reference loss, reported together."""
    params = net['params']
    what = f"deep_backprop(X, y, params, '{act}', {reg:.3g}) for layers {layers}"
    grads = expect_keys(student.deep.deep_backprop(net['X'], net['y'], params, act, reg), params, what)
    numeric = numerical_gradients(lambda: ref.deep_loss(net['X'], net['y'], params, act, reg), params)

    def check(name):
        mistakes = (l2_gradient_mistakes(numeric[name], params[name], reg, len(net['y'])) if name.startswith('W')
                    else l2_bias_mistakes(numeric[name], params[name], reg))
        expect_gradient(grads[name], numeric[name], f"{what}['{name}']", batch=len(net['y']), known_mistakes=mistakes)

    expect_given(lambda: expect_every([lambda name=name: check(name) for name in params]),
                 lambda: faults_given(student, ref, 'deep_backprop',
                                      lambda: ref.deep_backprop(net['X'], net['y'], params, act, reg), grads, what),
                 what)


@pytest.mark.points(0.6, 'deep_backprop')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_deep_backprop_gradient_check(student, rng, act):
    """deep_backprop passes the numerical gradient check at several depths, with and without L2"""
    cases = Cases()
    for layers in DEPTHS:
        for reg in (0.0, float(rng.uniform(0.05, 0.5))):
            with cases:
                check_deep_backprop(student, deep_net(rng, layers, 5, act), layers, act, reg)
    cases.expect()


@pytest.mark.points(0.6, 'deep_backprop')
def test_deep_backprop_without_hidden_layers_and_with_four(student, rng):
    """deep_backprop for [D, C] (no hidden layer) and for four hidden layers"""
    cases = Cases()
    for layers in ([4, 3], [3, 4, 4, 3, 4, 2]):
        with cases:
            check_deep_backprop(student, deep_net(rng, layers, 5, 'sigmoid'), layers, 'sigmoid', 0.1)
    cases.expect()


@pytest.mark.points(0.6, 'deep_predict')
def test_deep_predict(student, rng):
    """deep_predict matches the reference's labels"""
    # A random ReLU net can send every sample to one class, and then a constant answer
    # would pass: draw until the labels take at least 3 of the 4 values.
    net = deep_net(rng, [3, 6, 5, 4], 25, 'relu')
    while len(np.unique(ref.deep_predict(net['X'], net['params'], 'relu'))) < 3:
        net = deep_net(rng, [3, 6, 5, 4], 25, 'relu')
    got = expect_labels(student.deep.deep_predict(net['X'], net['params'], 'relu'), 25, 4,
                        "deep_predict(X, params, 'relu')")
    expect_result_given(student, ref, 'deep_predict', lambda: ref.deep_predict(net['X'], net['params'], 'relu'),
                        got.astype(float), "deep_predict(X, params, 'relu')")


@pytest.mark.points(0.6, 'deep_fit')
def test_deep_fit_follows_the_update_rule(student, rng):
    """deep_fit: the first passes follow the update rule, from your own init_deep"""
    layers, act = [3, 5, 4, 3], str(rng.choice(ACTIVATIONS))
    net, seed = deep_net(rng, layers, 10, act), int(rng.integers(1000))
    fit = dict(actFun_type=act, epsilon=float(rng.uniform(0.02, 0.2)), num_passes=4,
               reg_lambda=float(rng.uniform(0.0, 0.1)), momentum=float(rng.uniform(0.5, 0.95)), seed=seed)
    params0 = contract_params(student.deep.init_deep(layers, seed=seed), shapes(net['params']),
                              f'init_deep({layers}, seed={seed})')

    def reference_step(params):
        return ref.deep_loss_and_grads(net['X'], net['y'], params, act, fit['reg_lambda'])

    got = student.deep.deep_fit(net['X'], net['y'], layers, **fit)
    expect_training(got, params0, reference_step, fit, f'deep_fit(X, y, {layers}, ...)',
                    own_gradients=lambda p: student.deep.deep_backprop(net['X'], net['y'], p, act, fit['reg_lambda']),
                    update=own_update(lambda *step: student.two_layer.momentum_step(*step), fit['epsilon'],
                                      fit['momentum']))


@pytest.mark.points(1.2, 'deep_fit')
@pytest.mark.training
def test_deep_fit_learns_moons(student, grading_seed):
    """deep_fit learns make_moons: held-out accuracy of a [2, 10, 10, 2] tanh network"""
    expect_accuracy('deep moons', student, grading_seed % THRESHOLDS['deep moons']['seeds'],
                    predict=ref.deep_predict)
