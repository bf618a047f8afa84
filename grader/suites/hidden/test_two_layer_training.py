"""Part 4, hidden: the two-layer classifier on random inputs, its training, and its accuracy."""

import numpy as np
import pytest

from grader.engine.checks import (Cases, Mismatch, expect_every, expect_given, expect_gradient,
                                  expect_keys, expect_labels, expect_scalar)
from grader.suites.hidden.given import expect_result_given, faults_given
from grader.engine.gradcheck import numerical_gradients
from grader.suites.hidden.initialisation import expect_recipe
from grader.suites.hidden.mistakes import l2_bias_mistakes, l2_gradient_mistakes, l2_loss_mistakes
from grader.spec import ACTIVATIONS, THRESHOLDS
from grader.suites.hidden.training import (contract_params, expect_accuracy, expect_training, momentum_step_result,
                                          own_update)
from solution import two_layer as ref

from .nets import two_layer_net



def shapes(params):
    return {k: np.shape(v) for k, v in params.items()}


@pytest.mark.points(0.6, 'init_params')
def test_init_params_follows_the_recipe(student, rng):
    """init_params follows the recipe for a random seed; other seeds give other weights"""
    seed = int(rng.integers(1, 1000))
    what = f'init_params(300, 200, 10, seed={seed})'
    params = student.two_layer.init_params(300, 200, 10, seed=seed)
    expect_recipe(params, ref.init_params(300, 200, 10, seed), [300, 200, 10], seed, what)
    other = student.two_layer.init_params(300, 200, 10, seed=seed + 1)
    if np.array_equal(np.asarray(other['W1']), np.asarray(params['W1'])):
        raise Mismatch(f'init_params gives the same weights for seeds {seed} and {seed + 1}: draw them from '
                       'np.random.default_rng(seed)')


@pytest.mark.points(1.2, 'feedforward')
def test_feedforward_on_random_params(student, rng):
    """feedforward matches the reference for every activation, C = 2 and C = 10"""
    cases = Cases()
    for act in ACTIVATIONS:
        for classes in (2, 10):
            net = two_layer_net(rng, 8, 4, 6, classes, act)
            with cases:
                expect_result_given(student, ref, 'feedforward', lambda: ref.feedforward(net['X'], net['params'], act),
                                    student.two_layer.feedforward(net['X'], net['params'], act),
                                    f"feedforward(X, params, '{act}') with C={classes}", classes=classes)
    cases.expect()


@pytest.mark.points(0.6, 'calculate_loss')
def test_calculate_loss_on_random_params(student, rng):
    """calculate_loss matches the reference, with and without L2"""
    cases = Cases()
    for act in ACTIVATIONS:
        net = two_layer_net(rng, 9, 3, 5, 4, act)
        X, y, params = net['X'], net['y'], net['params']
        for reg in (0.0, float(rng.uniform(0.05, 0.5))):
            mistakes = l2_loss_mistakes(ref.calculate_loss(X, y, params, act, 0.0), [params['W1'], params['W2']],
                                        reg, 9, [params['b1'], params['b2']])
            with cases:
                expect_result_given(student, ref, 'calculate_loss', lambda: ref.calculate_loss(X, y, params, act, reg),
                                    student.two_layer.calculate_loss(X, y, params, act, reg),
                                    f"calculate_loss(X, y, params, '{act}', {reg:.3g})", check=expect_scalar,
                                    batch=9, classes=4, known_mistakes=mistakes)
    cases.expect()


def check_backprop(student, net, act, reg, context=''):
    """Every gradient of backprop against centered differences of the reference loss, reported together."""
    X, y, params = net['X'], net['y'], net['params']
    what = f"backprop(X, y, params, '{act}', {reg:.3g})"
    grads = expect_keys(student.two_layer.backprop(X, y, params, act, reg), params, what + context)
    numeric = numerical_gradients(lambda: ref.calculate_loss(X, y, params, act, reg), params)

    def check(name):
        mistakes = (l2_gradient_mistakes(numeric[name], params[name], reg, len(y)) if name.startswith('W')
                    else l2_bias_mistakes(numeric[name], params[name], reg))
        expect_gradient(grads[name], numeric[name], f"{what}['{name}']{context}", batch=len(y),
                        known_mistakes=mistakes)

    expect_given(lambda: expect_every([lambda name=name: check(name) for name in params]),
                 lambda: faults_given(student, ref, 'backprop', lambda: ref.backprop(X, y, params, act, reg), grads,
                                      what + context),
                 what + context)


@pytest.mark.points(0.6, 'backprop')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_backprop_gradient_check(student, rng, act):
    """backprop passes the numerical gradient check, with and without L2"""
    cases = Cases()
    for reg in (0.0, float(rng.uniform(0.05, 0.5))):
        with cases:
            check_backprop(student, two_layer_net(rng, 7, 3, 5, 3, act), act, reg)
    cases.expect()


@pytest.mark.points(0.6, 'backprop')
def test_backprop_for_one_sample_and_ten_classes(student, rng):
    """backprop for a batch of one with C = 10"""
    check_backprop(student, two_layer_net(rng, 1, 4, 5, 10, 'tanh'), 'tanh', 0.1, ' for one sample, C=10')


@pytest.mark.points(0.6, 'predict')
def test_predict_on_random_params(student, rng):
    """predict matches the reference's labels"""
    net = two_layer_net(rng, 20, 3, 6, 5, 'relu')
    what = "predict(X, params, 'relu')"
    got = expect_labels(student.two_layer.predict(net['X'], net['params'], 'relu'), 20, 5, what)
    expect_result_given(student, ref, 'predict', lambda: ref.predict(net['X'], net['params'], 'relu'),
                        got.astype(float), what)


@pytest.mark.points(0.6, 'momentum_step')
def test_momentum_step_on_random_values(student, rng):
    """momentum_step matches v = momentum * v - epsilon * g, p = p + v on random values"""
    shapes_ = {'W1': (3, 4), 'b1': (1, 4), 'W2': (4, 2), 'b2': (1, 2)}
    params, grads, velocity = ({k: rng.standard_normal(s) for k, s in shapes_.items()} for _ in range(3))
    epsilon, momentum = float(rng.uniform(0.01, 0.5)), float(rng.uniform(0.5, 0.99))
    momentum_step_result(student.two_layer.momentum_step(params, grads, velocity, epsilon, momentum),
                         params, grads, velocity, epsilon, momentum,
                         f'momentum_step(params, grads, velocity, {epsilon:.3g}, {momentum:.3g})')


@pytest.mark.points(0.6, 'fit_model')
def test_fit_model_follows_the_update_rule(student, rng):
    """fit_model: the first passes follow the update rule, from your own init_params"""
    act = str(rng.choice(ACTIVATIONS))
    net = two_layer_net(rng, 12, 3, 4, 3, act)
    seed = int(rng.integers(1000))
    fit = dict(actFun_type=act, epsilon=float(rng.uniform(0.02, 0.2)), num_passes=5,
               reg_lambda=float(rng.uniform(0.0, 0.1)), momentum=float(rng.uniform(0.5, 0.95)), seed=seed)
    params0 = contract_params(student.two_layer.init_params(3, 4, 3, seed=seed), shapes(net['params']),
                              f'init_params(3, 4, 3, seed={seed})')

    def reference_step(params):
        return ref.loss_and_grads(net['X'], net['y'], params, act, fit['reg_lambda'])

    got = student.two_layer.fit_model(net['X'], net['y'], 4, **fit)
    expect_training(got, params0, reference_step, fit, 'fit_model(X, y, 4, ...)',
                    own_gradients=lambda p: student.two_layer.backprop(net['X'], net['y'], p, act, fit['reg_lambda']),
                    update=own_update(student.two_layer.momentum_step, fit['epsilon'], fit['momentum']))


@pytest.mark.points(0.6, 'fit_model')
@pytest.mark.training
def test_fit_model_learns_circles(student, grading_seed):
    """fit_model learns make_circles: held-out accuracy of 5 tanh units"""
    expect_accuracy('circles', student, grading_seed % THRESHOLDS['circles']['seeds'], predict=ref.predict)


@pytest.mark.points(0.6, 'fit_model')
@pytest.mark.training
def test_fit_model_learns_digits(student, grading_seed):
    """fit_model learns the 8x8 digits: held-out accuracy of 32 tanh units"""
    expect_accuracy('digits', student, grading_seed % THRESHOLDS['digits']['seeds'], predict=ref.predict)
