"""Part 5, public: the n-layer network on fixed inputs."""

import numpy as np
import pytest

from grader.checks import expect_array, expect_labels, expect_params, expect_same, expect_scalar
from grader.contract import DEFAULTS
from grader.suites.training import expect_losses, expect_training, momentum_replay

from .cases import DEEP_LAYERS, deep_network, expected

SHAPES = {f'{kind}{l}': (1 if kind == 'b' else fan_in, fan_out)
          for l, (fan_in, fan_out) in enumerate(zip(DEEP_LAYERS[:-1], DEEP_LAYERS[1:]), start=1)
          for kind in 'Wb'}


@pytest.mark.points(1, 'init_deep')
def test_init_deep_shapes_and_seed(student):
    """init_deep: keys W1..WL and b1..bL, shapes, zero biases, same seed same params"""
    what = f'init_deep({DEEP_LAYERS}, seed=4)'
    params = expect_params(student.deep.init_deep(DEEP_LAYERS, seed=4), SHAPES, what)
    again = student.deep.init_deep(DEEP_LAYERS, seed=4)
    for name, shape in SHAPES.items():
        if name.startswith('b'):
            expect_array(params[name], np.zeros(shape), f"{what}['{name}']")
        expect_array(again[name], params[name], f"{what}['{name}'] called twice", rtol=0, atol=0)


@pytest.mark.points(1, 'deep_feedforward')
def test_deep_feedforward(student):
    """deep_feedforward on fixed params, every activation"""
    d = deep_network()
    for act in ('tanh', 'sigmoid', 'relu'):
        expect_array(student.deep.deep_feedforward(d['X'], d['params'], act),
                     expected(f'deep_feedforward_{act}'), f"deep_feedforward(X, params, '{act}')")


@pytest.mark.points(1, 'deep_loss')
def test_deep_loss(student):
    """deep_loss with L2 on fixed params"""
    d = deep_network()
    expect_scalar(student.deep.deep_loss(d['X'], d['y'], d['params'], 'relu', 0.1),
                  expected('deep_loss_relu'), "deep_loss(X, y, params, 'relu', 0.1)", batch=6, classes=3)


@pytest.mark.points(2, 'deep_backprop')
def test_deep_backprop(student):
    """deep_backprop with L2 on fixed params, every activation"""
    d = deep_network()
    for act in ('tanh', 'sigmoid', 'relu'):
        what = f"deep_backprop(X, y, params, '{act}', 0.1)"
        grads = expect_params(student.deep.deep_backprop(d['X'], d['y'], d['params'], act, 0.1), SHAPES, what)
        want = expected(f'deep_backprop_{act}')
        for name in SHAPES:
            expect_array(grads[name], want[name], f"{what}['{name}']", batch=6, classes=3)


@pytest.mark.points(1, 'deep_predict')
def test_deep_predict(student):
    """deep_predict returns the most probable class of each sample"""
    d = deep_network()
    got = expect_labels(student.deep.deep_predict(d['X'], d['params'], 'tanh'), 6, 3,
                        "deep_predict(X, params, 'tanh')")
    expect_array(got.astype(float), expected('deep_predict_tanh'), "deep_predict(X, params, 'tanh')")


@pytest.mark.points(1, 'deep_fit')
def test_deep_fit_follows_the_update_rule(student):
    """deep_fit: the first passes follow the momentum update from your own init_deep"""
    d = deep_network()
    fit = dict(actFun_type='relu', epsilon=0.05, num_passes=4, reg_lambda=0.01, momentum=0.9, seed=2)
    params0 = student.deep.init_deep(DEEP_LAYERS, seed=2)

    def own_loss_and_grads(params):
        return (float(np.asarray(student.deep.deep_loss(d['X'], d['y'], params, 'relu', 0.01))),
                student.deep.deep_backprop(d['X'], d['y'], params, 'relu', 0.01))

    got = student.deep.deep_fit(d['X'], d['y'], DEEP_LAYERS, **fit)
    expect_training(got, params0, own_loss_and_grads, fit, f'deep_fit(X, y, {DEEP_LAYERS}, ...)')



@pytest.mark.points(1, 'init_deep', 'deep_feedforward', 'deep_loss', 'deep_backprop', 'deep_predict', 'deep_fit')
@pytest.mark.training
def test_defaults_are_the_contracts(student):
    """leaving out a hyper-parameter means the contract's default"""
    d = deep_network()
    X, y, params, deep = d['X'], d['y'], d['params'], student.deep
    expect_same(deep.init_deep(DEEP_LAYERS), deep.init_deep(DEEP_LAYERS, **DEFAULTS['init_deep']), 'init_deep(layers)')
    for name, call in (('deep_feedforward', lambda **kw: deep.deep_feedforward(X, params, **kw)),
                       ('deep_loss', lambda **kw: deep.deep_loss(X, y, params, **kw)),
                       ('deep_backprop', lambda **kw: deep.deep_backprop(X, y, params, **kw)),
                       ('deep_predict', lambda **kw: deep.deep_predict(X, params, **kw))):
        expect_same(call(), call(**DEFAULTS[name]), f'{name} without its hyper-parameters')
    defaults = DEFAULTS['deep_fit']
    _, losses = deep.deep_fit(X, y, DEEP_LAYERS)
    start = deep.init_deep(DEEP_LAYERS, seed=defaults['seed'])
    _, replayed = momentum_replay(start, lambda p: (deep.deep_loss(X, y, p, defaults['actFun_type'], defaults['reg_lambda']),
                                                    deep.deep_backprop(X, y, p, defaults['actFun_type'], defaults['reg_lambda'])),
                                  defaults['epsilon'], defaults['momentum'], 3)
    losses = expect_losses(losses, defaults['num_passes'], f'deep_fit(X, y, {DEEP_LAYERS}) with default num_passes')
    expect_array(losses[:3], replayed, f'the first losses of deep_fit(X, y, layers), whose defaults are {defaults}', rtol=1e-6)
