"""Part 4, public: the trainable two-layer classifier on fixed inputs.

Each test calls one contract function and compares with the reference's answers in
expected.json, except the fits: a fit starts where the student's own init_params starts
(the contract defines the start so), and its passes are replayed with the student's own
calculate_loss and backprop, or compared with the reference's run when that start is the
reference's. The accuracy on make_moons is measured with the student's own predict.
"""

import numpy as np
import pytest

from grader.engine.checks import (Cases, Mismatch, expect_array, expect_every, expect_keys, expect_labels,
                                  expect_params, expect_same, expect_scalar)
from grader.engine.seam import StudentFailure
from grader.spec import ACTIVATIONS, DEFAULTS

from .accuracy import expect_accuracy
from .cases import DEFAULTS_HIDDEN_DIM, FIT_MODEL, MOMENTUM_STEP, network
from .dense_checks import expect_first_losses, expect_fit, expect_momentum_step, expect_recipe, own_step
from .expectations import expected, mistakes
from .fits import contract_params, expect_losses, fit_result, network_shapes, own_update
from .relative import expect_built_on

SHAPES = {'W1': (2, 4), 'b1': (1, 4), 'W2': (4, 3), 'b2': (1, 3)}
OWN = 'calculate_loss and backprop'


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
    expect_recipe(student.two_layer.init_params(2, 4, 3, seed=5), expected('init_params_seed_5'),
                  expected('init_params_seed_5_draws'), 'init_params(2, 4, 3, seed=5)')


@pytest.mark.points(0.6, 'feedforward')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_feedforward(student, act):
    """feedforward on fixed params"""
    n = network()
    what, got = f"feedforward(X, params, '{act}')", student.two_layer.feedforward(n['X'], n['params'], act)
    expect_built_on(lambda: expect_array(got, expected(f'feedforward_{act}'), what, classes=3),
                    student, 'feedforward', (n['X'], n['params'], act), got, what)


@pytest.mark.points(0.6, 'calculate_loss')
def test_calculate_loss(student):
    """calculate_loss without L2"""
    n, what = network(), "calculate_loss(X, y, params, 'tanh', 0.0)"
    got = student.two_layer.calculate_loss(n['X'], n['y'], n['params'], 'tanh', 0.0)
    expect_built_on(lambda: expect_scalar(got, expected('calculate_loss_tanh_no_reg'), what, batch=6, classes=3),
                    student, 'calculate_loss', (n['X'], n['y'], n['params'], 'tanh', 0.0), got, what)


@pytest.mark.points(0.6, 'calculate_loss')
def test_calculate_loss_with_l2(student):
    """calculate_loss with L2: + lambda/2 * (sum(W1**2) + sum(W2**2))"""
    n, what = network(), "calculate_loss(X, y, params, 'tanh', 0.1)"
    got = student.two_layer.calculate_loss(n['X'], n['y'], n['params'], 'tanh', 0.1)
    expect_built_on(lambda: expect_scalar(got, expected('calculate_loss_tanh'), what, batch=6, classes=3,
                                          known_mistakes=mistakes('calculate_loss_tanh')),
                    student, 'calculate_loss', (n['X'], n['y'], n['params'], 'tanh', 0.1), got, what)


@pytest.mark.points(0.6, 'backprop')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_backprop(student, act):
    """backprop with L2 on fixed params"""
    n = network()
    what = f"backprop(X, y, params, '{act}', 0.1)"
    grads = expect_keys(student.two_layer.backprop(n['X'], n['y'], n['params'], act, 0.1), SHAPES, what)
    want = expected(f'backprop_{act}')

    def check(name):
        expect_array(grads[name], want[name], f"{what}['{name}']", batch=6, classes=3,
                     known_mistakes=mistakes(f'backprop_{act}/{name}'))

    expect_built_on(lambda: expect_every([lambda name=name: check(name) for name in SHAPES]),
                    student, 'backprop', (n['X'], n['y'], n['params'], act, 0.1), grads, what)


@pytest.mark.points(0.6, 'predict')
def test_predict(student):
    """predict returns the most probable class of each sample"""
    n, cases = network(), Cases()
    for act in ACTIVATIONS:
        what = f"predict(X, params, '{act}')"
        with cases:
            got = expect_labels(student.two_layer.predict(n['X'], n['params'], act), 6, 3, what).astype(float)
            expect_built_on(lambda: expect_array(got, expected(f'predict_{act}'), what),
                            student, 'predict', (n['X'], n['params'], act), got, what)
    cases.expect()


@pytest.mark.points(0.9, 'momentum_step')
def test_momentum_step(student):
    """momentum_step: v = momentum * v - epsilon * g, then p = p + v"""
    s = MOMENTUM_STEP
    expect_momentum_step(student.two_layer.momentum_step(s['params'], s['grads'], s['velocity'], s['epsilon'],
                                                         s['momentum']),
                         expected('momentum_step'), mistakes('momentum_step'),
                         'momentum_step(params, grads, velocity, 0.5, 0.9)')


def _own_step(student, n, act, reg):
    """Your calculate_loss and backprop on the network's data, as a step of a replay."""
    return own_step(lambda p: student.two_layer.calculate_loss(n['X'], n['y'], p, act, reg),
                    lambda p: student.two_layer.backprop(n['X'], n['y'], p, act, reg), OWN)


@pytest.mark.points(1.2, 'fit_model')
def test_fit_model_follows_the_update_rule(student):
    """fit_model: the first passes follow the momentum update from your own init_params"""
    n, fit = network(), FIT_MODEL
    params0 = contract_params(student.two_layer.init_params(2, 4, 3, seed=fit['seed']), SHAPES,
                              'init_params(2, 4, 3, seed=3)')
    got = student.two_layer.fit_model(n['X'], n['y'], 4, **fit)
    expect_fit(got, params0, expected('fit_model'), mistakes('fit_model'),
               _own_step(student, n, fit['actFun_type'], fit['reg_lambda']), fit, 'fit_model(X, y, 4, ...)',
               OWN, 'init_params', own_update(student.two_layer.momentum_step, fit['epsilon'], fit['momentum']))


def _passes_its_case(call, want):
    """Whether a call of the student's returns `want` (an array of the public case)."""
    try:
        got = np.asarray(call(), dtype=np.float64)
    except (StudentFailure, TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-7, atol=1e-10))


def _moons_labels(student):
    """(labels function, what to add when the accuracy is too low): your predict, or when it
    fails its own public case and your feedforward passes its own, the most probable class of
    your feedforward's probabilities."""
    n, two = network(), student.two_layer
    if _passes_its_case(lambda: two.predict(n['X'], n['params'], 'tanh'), expected('predict_tanh')):
        return two.predict, ''
    fails = 'your predict fails its own test ("predict returns the most probable class of each sample")'
    if _passes_its_case(lambda: two.feedforward(n['X'], n['params'], 'tanh'), expected('feedforward_tanh')):
        return ((lambda X, params, act: np.argmax(np.asarray(two.feedforward(X, params, act)), axis=1)),
                f"{fails}, so the accuracy is measured with the most probable class of your feedforward's "
                'probabilities')
    return two.predict, f'{fails}; the accuracy is measured with it'


@pytest.mark.points(0.6, 'fit_model')
@pytest.mark.training
def test_fit_model_learns_moons(student):
    """fit_model learns make_moons: held-out accuracy of 3 tanh units"""
    labels, note = _moons_labels(student)
    try:
        expect_accuracy('moons', student, seed=0, predict=labels)
    except Mismatch as mismatch:
        raise Mismatch(f'{mismatch}\n{note[0].upper()}{note[1:]}.' if note else str(mismatch)) from None


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
    n, defaults, hidden = network(), DEFAULTS['fit_model'], DEFAULTS_HIDDEN_DIM
    _, losses = fit_result(student.two_layer.fit_model(n['X'], n['y'], hidden), f'fit_model(X, y, {hidden})')
    start = contract_params(student.two_layer.init_params(2, hidden, 3, seed=defaults['seed']),
                            network_shapes([2, hidden, 3]), f'init_params(2, {hidden}, 3)')
    losses = expect_losses(losses, defaults['num_passes'], f'fit_model(X, y, {hidden}) with default num_passes')
    expect_first_losses(losses, start, expected('fit_model_defaults'), mistakes('fit_model_defaults'),
                        _own_step(student, n, defaults['actFun_type'], defaults['reg_lambda']),
                        defaults['epsilon'], defaults['momentum'],
                        f'the first losses of fit_model(X, y, {hidden}), whose defaults are {defaults}', OWN,
                        'init_params',
                        own_update(lambda *step: student.two_layer.momentum_step(*step), defaults['epsilon'],
                                   defaults['momentum']))
