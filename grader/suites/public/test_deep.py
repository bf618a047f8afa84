"""Part 5, public: the n-layer network on fixed inputs.

As in Part 4, each test calls one contract function and compares with the reference's
answers in expected.json; a fit also calls its own init_deep, where the contract starts it,
and is replayed with the student's own deep_loss and deep_backprop, or compared with the
reference's run when that start is the reference's.
"""

import numpy as np
import pytest

from grader.engine.checks import (Cases, expect_array, expect_every, expect_keys, expect_labels, expect_params,
                                  expect_same, expect_scalar)
from grader.spec import DEFAULTS

from .cases import DEEP_FIT, DEEP_LAYERS, deep_network
from .dense_checks import expect_first_losses, expect_fit, expect_recipe, own_step
from .expectations import expected, mistakes
from .fits import contract_params, expect_losses, fit_result, network_shapes, own_update
from .relative import expect_built_on

SHAPES = network_shapes(DEEP_LAYERS)
OWN = 'deep_loss and deep_backprop'


@pytest.mark.points(0.3, 'init_deep')
def test_init_deep_shapes_and_seed(student):
    """init_deep: keys W1..WL and b1..bL, shapes, zero biases, same seed same params"""
    what = f'init_deep({DEEP_LAYERS}, seed=4)'
    params = expect_params(student.deep.init_deep(DEEP_LAYERS, seed=4), SHAPES, what)
    again = student.deep.init_deep(DEEP_LAYERS, seed=4)
    for name, shape in SHAPES.items():
        if name.startswith('b'):
            expect_array(params[name], np.zeros(shape), f"{what}['{name}']")
        expect_array(again[name], params[name], f"{what}['{name}'] called twice", rtol=0, atol=0)


@pytest.mark.points(0.3, 'init_deep')
def test_init_deep_follows_the_recipe(student):
    """init_deep: one np.random.default_rng(seed) for all layers, each standard normal / sqrt(fan_in)"""
    expect_recipe(student.deep.init_deep(DEEP_LAYERS, seed=4), expected('init_deep_seed_4'),
                  expected('init_deep_seed_4_draws'), f'init_deep({DEEP_LAYERS}, seed=4)')


@pytest.mark.points(0.6, 'deep_feedforward')
def test_deep_feedforward(student):
    """deep_feedforward on fixed params, every activation"""
    d, cases = deep_network(), Cases()
    for act in ('tanh', 'sigmoid', 'relu'):
        what, got = f"deep_feedforward(X, params, '{act}')", student.deep.deep_feedforward(d['X'], d['params'], act)
        with cases:
            expect_built_on(lambda: expect_array(got, expected(f'deep_feedforward_{act}'), what),
                            student, 'deep_feedforward', (d['X'], d['params'], act), got, what)
    cases.expect()


@pytest.mark.points(0.6, 'deep_loss')
def test_deep_loss(student):
    """deep_loss with L2 on fixed params"""
    d, what = deep_network(), "deep_loss(X, y, params, 'relu', 0.1)"
    got = student.deep.deep_loss(d['X'], d['y'], d['params'], 'relu', 0.1)
    expect_built_on(lambda: expect_scalar(got, expected('deep_loss_relu'), what, batch=6, classes=3,
                                          known_mistakes=mistakes('deep_loss_relu')),
                    student, 'deep_loss', (d['X'], d['y'], d['params'], 'relu', 0.1), got, what)


@pytest.mark.points(0.9, 'deep_backprop')
def test_deep_backprop(student):
    """deep_backprop with L2 on fixed params, every activation"""
    d, cases = deep_network(), Cases()
    for act in ('tanh', 'sigmoid', 'relu'):
        what = f"deep_backprop(X, y, params, '{act}', 0.1)"
        with cases:
            grads = expect_keys(student.deep.deep_backprop(d['X'], d['y'], d['params'], act, 0.1), SHAPES, what)
            want = expected(f'deep_backprop_{act}')

            def check(name, grads=grads, want=want, what=what, act=act):
                expect_array(grads[name], want[name], f"{what}['{name}']", batch=6, classes=3,
                             known_mistakes=mistakes(f'deep_backprop_{act}/{name}'))

            expect_built_on(lambda: expect_every([lambda name=name: check(name) for name in SHAPES]),
                            student, 'deep_backprop', (d['X'], d['y'], d['params'], act, 0.1), grads, what)
    cases.expect()


@pytest.mark.points(0.6, 'deep_predict')
def test_deep_predict(student):
    """deep_predict returns the most probable class of each sample"""
    d, what = deep_network(), "deep_predict(X, params, 'tanh')"
    got = expect_labels(student.deep.deep_predict(d['X'], d['params'], 'tanh'), 6, 3, what).astype(float)
    expect_built_on(lambda: expect_array(got, expected('deep_predict_tanh'), what),
                    student, 'deep_predict', (d['X'], d['params'], 'tanh'), got, what)


def _own_step(student, d, act, reg):
    """Your deep_loss and deep_backprop on the network's data, as a step of a replay."""
    return own_step(lambda p: student.deep.deep_loss(d['X'], d['y'], p, act, reg),
                    lambda p: student.deep.deep_backprop(d['X'], d['y'], p, act, reg), OWN)


@pytest.mark.points(0.6, 'deep_fit')
def test_deep_fit_follows_the_update_rule(student):
    """deep_fit: the first passes follow the momentum update from your own init_deep"""
    d, fit = deep_network(), DEEP_FIT
    params0 = contract_params(student.deep.init_deep(DEEP_LAYERS, seed=fit['seed']), SHAPES,
                              f'init_deep({DEEP_LAYERS}, seed=2)')
    got = student.deep.deep_fit(d['X'], d['y'], DEEP_LAYERS, **fit)
    expect_fit(got, params0, expected('deep_fit'), mistakes('deep_fit'),
               _own_step(student, d, fit['actFun_type'], fit['reg_lambda']), fit,
               f'deep_fit(X, y, {DEEP_LAYERS}, ...)', OWN, 'init_deep',
               own_update(lambda *step: student.two_layer.momentum_step(*step), fit['epsilon'], fit['momentum']))


def _defaults_of(student, name):
    """(the call without hyper-parameters, the call with the contract's defaults spelled out)."""
    d = deep_network()
    X, y, params, deep = d['X'], d['y'], d['params'], student.deep
    calls = {'init_deep': lambda **kw: deep.init_deep(DEEP_LAYERS, **kw),
             'deep_feedforward': lambda **kw: deep.deep_feedforward(X, params, **kw),
             'deep_loss': lambda **kw: deep.deep_loss(X, y, params, **kw),
             'deep_backprop': lambda **kw: deep.deep_backprop(X, y, params, **kw),
             'deep_predict': lambda **kw: deep.deep_predict(X, params, **kw)}
    return calls[name](), calls[name](**DEFAULTS[name])


@pytest.mark.parametrize('name', [pytest.param(name, marks=pytest.mark.points(0.15, name)) for name in
                                  ('init_deep', 'deep_feedforward', 'deep_loss', 'deep_backprop', 'deep_predict')])
def test_defaults_are_the_contracts(student, name):
    """leaving out a hyper-parameter means the contract's default"""
    without, spelled_out = _defaults_of(student, name)
    expect_same(without, spelled_out, f'{name} without its hyper-parameters')


@pytest.mark.points(0.15, 'deep_fit')
@pytest.mark.training
def test_deep_fit_defaults_are_the_contracts(student):
    """leaving out a hyper-parameter of deep_fit means the contract's default"""
    d = deep_network()
    defaults = DEFAULTS['deep_fit']
    _, losses = fit_result(student.deep.deep_fit(d['X'], d['y'], DEEP_LAYERS), f'deep_fit(X, y, {DEEP_LAYERS})')
    start = contract_params(student.deep.init_deep(DEEP_LAYERS, seed=defaults['seed']), SHAPES,
                            f'init_deep({DEEP_LAYERS})')
    losses = expect_losses(losses, defaults['num_passes'], f'deep_fit(X, y, {DEEP_LAYERS}) with default num_passes')
    expect_first_losses(losses, start, expected('deep_fit_defaults'), mistakes('deep_fit_defaults'),
                        _own_step(student, d, defaults['actFun_type'], defaults['reg_lambda']),
                        defaults['epsilon'], defaults['momentum'],
                        f'the first losses of deep_fit(X, y, layers), whose defaults are {defaults}', OWN, 'init_deep',
                        own_update(lambda *step: student.two_layer.momentum_step(*step), defaults['epsilon'],
                                   defaults['momentum']))
