"""Part 4, public: the trainable two-layer classifier on fixed inputs.

Each test calls one contract function, except that a fit starts where the student's
own init_params starts (the contract defines the start so); losses, gradients and
labels the tests need besides come from the grader's own numpy network (network.py).
"""

import numpy as np
import pytest

from grader.engine.checks import (expect_array, expect_every, expect_keys, expect_labels, expect_params, expect_same,
                           expect_scalar)
from grader.spec import DEFAULTS
from grader.suites.initialisation import expect_recipe
from grader.suites.mistakes import l2_bias_mistakes, l2_gradient_mistakes, l2_loss_mistakes
from grader.suites.training import (contract_params, expect_accuracy, expect_first_losses, expect_losses,
                                    expect_training, fit_result, momentum_step_result)

from grader.spec import ACTIVATIONS
from . import network as own
from .cases import expected, network

SHAPES = {'W1': (2, 4), 'b1': (1, 4), 'W2': (4, 3), 'b2': (1, 3)}


@pytest.mark.points(0.6, 'init_params')
def test_init_params_shapes_and_seed(student):
    """init_params: shapes, zero biases, and the same seed gives the same params"""
    params = expect_params(student.two_layer.init_params(2, 4, 3, seed=5), SHAPES, 'init_params(2, 4, 3, seed=5)')
    for bias in ('b1', 'b2'):
        expect_array(params[bias], np.zeros(SHAPES[bias]), f"init_params(2, 4, 3, seed=5)['{bias}']")
    again = student.two_layer.init_params(2, 4, 3, seed=5)
    for name in SHAPES:
        expect_array(again[name], params[name], f"init_params(2, 4, 3, seed=5)['{name}'] called twice",
                     rtol=0, atol=0)


@pytest.mark.points(0.6, 'init_params')
def test_init_params_follows_the_recipe(student):
    """init_params: one np.random.default_rng(seed), standard normal (fan_in, fan_out) / sqrt(fan_in)"""
    expect_recipe(student.two_layer.init_params(2, 4, 3, seed=5), expected('init_params_seed_5'), [2, 4, 3], 5,
                  'init_params(2, 4, 3, seed=5)')


@pytest.mark.points(0.6, 'feedforward')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_feedforward(student, act):
    """feedforward on fixed params"""
    n = network()
    expect_array(student.two_layer.feedforward(n['X'], n['params'], act), expected(f'feedforward_{act}'),
                 f"feedforward(X, params, '{act}')", classes=3)


@pytest.mark.points(0.6, 'calculate_loss')
def test_calculate_loss(student):
    """calculate_loss without L2"""
    n = network()
    expect_scalar(student.two_layer.calculate_loss(n['X'], n['y'], n['params'], 'tanh', 0.0),
                  expected('calculate_loss_tanh_no_reg'), "calculate_loss(X, y, params, 'tanh', 0.0)",
                  batch=6, classes=3)


@pytest.mark.points(0.6, 'calculate_loss')
def test_calculate_loss_with_l2(student):
    """calculate_loss with L2: + lambda/2 * (sum(W1**2) + sum(W2**2))"""
    n, reg = network(), 0.1
    weights, biases = [n['params']['W1'], n['params']['W2']], [n['params']['b1'], n['params']['b2']]
    expect_scalar(student.two_layer.calculate_loss(n['X'], n['y'], n['params'], 'tanh', reg),
                  expected('calculate_loss_tanh'), "calculate_loss(X, y, params, 'tanh', 0.1)", batch=6, classes=3,
                  known_mistakes=l2_loss_mistakes(expected('calculate_loss_tanh_no_reg'), weights, reg, 6, biases))


@pytest.mark.points(0.6, 'backprop')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_backprop(student, act):
    """backprop with L2 on fixed params"""
    n, reg = network(), 0.1
    what = f"backprop(X, y, params, '{act}', 0.1)"
    grads = expect_keys(student.two_layer.backprop(n['X'], n['y'], n['params'], act, reg), SHAPES, what)
    want = expected(f'backprop_{act}')

    def check(name):
        mistakes = (l2_gradient_mistakes(want[name], n['params'][name], reg, 6) if name.startswith('W')
                    else l2_bias_mistakes(want[name], n['params'][name], reg))
        expect_array(grads[name], want[name], f"{what}['{name}']", batch=6, classes=3, known_mistakes=mistakes)

    expect_every([lambda name=name: check(name) for name in SHAPES])


@pytest.mark.points(0.6, 'predict')
def test_predict(student):
    """predict returns the most probable class of each sample"""
    n = network()
    for act in ACTIVATIONS:
        got = expect_labels(student.two_layer.predict(n['X'], n['params'], act), 6, 3,
                            f"predict(X, params, '{act}')")
        expect_array(got.astype(float), expected(f'predict_{act}'), f"predict(X, params, '{act}')")


@pytest.mark.points(0.9, 'momentum_step')
def test_momentum_step(student):
    """momentum_step: v = momentum * v - epsilon * g, then p = p + v"""
    params = {'W': np.array([[1.0, 2.0]]), 'b': np.array([[0.5]])}
    grads = {'W': np.array([[0.1, -0.2]]), 'b': np.array([[1.0]])}
    velocity = {'W': np.array([[0.3, 0.0]]), 'b': np.array([[-1.0]])}
    momentum_step_result(student.two_layer.momentum_step(params, grads, velocity, 0.5, 0.9),
                         params, grads, velocity, 0.5, 0.9, 'momentum_step(params, grads, velocity, 0.5, 0.9)')


@pytest.mark.points(1.2, 'fit_model')
def test_fit_model_follows_the_update_rule(student):
    """fit_model: the first passes follow the momentum update from your own init_params"""
    n = network()
    fit = dict(actFun_type='tanh', epsilon=0.05, num_passes=4, reg_lambda=0.01, momentum=0.9, seed=3)
    params0 = contract_params(student.two_layer.init_params(2, 4, 3, seed=3), SHAPES,
                                      'init_params(2, 4, 3, seed=3)')
    got = student.two_layer.fit_model(n['X'], n['y'], 4, **fit)
    expect_training(got, params0, own.loss_and_numerical_grads(n['X'], n['y'], 'tanh', 0.01), fit,
                    'fit_model(X, y, 4, ...)',
                    own_gradients=lambda p: student.two_layer.backprop(n['X'], n['y'], p, 'tanh', 0.01))


@pytest.mark.points(0.6, 'fit_model')
@pytest.mark.training
def test_fit_model_learns_moons(student):
    """fit_model learns make_moons: held-out accuracy of 3 tanh units"""
    expect_accuracy('moons', student, seed=0, predict=own.labels)


def _defaults_of(student, name):
    """(the call without hyper-parameters, the call with the contract's defaults spelled out)."""
    n = network()
    X, y, params, two = n['X'], n['y'], n['params'], student.two_layer
    calls = {'init_params': lambda **kw: two.init_params(2, 4, 3, **kw),
             'feedforward': lambda **kw: two.feedforward(X, params, **kw),
             'calculate_loss': lambda **kw: two.calculate_loss(X, y, params, **kw),
             'backprop': lambda **kw: two.backprop(X, y, params, **kw),
             'predict': lambda **kw: two.predict(X, params, **kw)}
    return calls[name](), calls[name](**DEFAULTS[name])


@pytest.mark.parametrize('name', [pytest.param(name, marks=pytest.mark.points(0.15, name)) for name in
                                  ('init_params', 'feedforward', 'calculate_loss', 'backprop', 'predict')])
def test_defaults_are_the_contracts(student, name):
    """leaving out a hyper-parameter means the contract's default"""
    without, spelled_out = _defaults_of(student, name)
    expect_same(without, spelled_out, f'{name} without its hyper-parameters')


@pytest.mark.points(0.15, 'fit_model')
@pytest.mark.training
def test_fit_model_defaults_are_the_contracts(student):
    """leaving out a hyper-parameter of fit_model means the contract's default"""
    n = network()
    defaults = DEFAULTS['fit_model']
    _, losses = fit_result(student.two_layer.fit_model(n['X'], n['y'], 3), 'fit_model(X, y, 3)')
    start = contract_params(student.two_layer.init_params(2, 3, 3, seed=defaults['seed']),
                                    {'W1': (2, 3), 'b1': (1, 3), 'W2': (3, 3), 'b2': (1, 3)}, 'init_params(2, 3, 3)')
    act, reg = defaults['actFun_type'], defaults['reg_lambda']
    losses = expect_losses(losses, defaults['num_passes'], 'fit_model(X, y, 3) with default num_passes')
    expect_first_losses(losses, start, own.loss_and_numerical_grads(n['X'], n['y'], act, reg),
                        defaults['epsilon'], defaults['momentum'],
                        f'the first losses of fit_model(X, y, 3), whose defaults are {defaults}',
                        own_gradients=lambda p: student.two_layer.backprop(n['X'], n['y'], p, act, reg))
