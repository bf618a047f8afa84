"""Part 6, public: the convolutional network on fixed inputs.

Each test calls one contract function (cnn_fit also its own init_cnn, where the contract
starts it). Expected values come from expected_cnn.json; the wrong answers that the
feedback recognises come from the loops of cnn_mistakes; the loss and gradients for
replaying cnn_fit are the grader's own (those loops, and centered differences).
"""

import numpy as np
import pytest

from grader.engine.checks import expect_array, expect_every, expect_keys, expect_labels, expect_same, expect_scalar
from grader.spec import DEFAULTS
from grader.suites.cnn_mistakes import (FLATTEN, conv_backward_mistakes, conv_forward_mistakes, expect_cnn_recipe,
                                        expect_cnn_shapes, expect_known, maxpool_backward_mistakes,
                                        maxpool_forward_mistakes, result_tuple)
from grader.suites.cnn_training import expect_cnn_fit
from grader.suites.mistakes import l2_bias_mistakes, l2_gradient_mistakes, l2_loss_mistakes
from grader.suites.training import cnn_shapes, contract_params

from . import cnn_cases as cases
from .cnn_network import own_step
from .cases import expected as expected_in


def expected(key):
    return expected_in(key, file=cases.EXPECTED_FILE)


@pytest.mark.points(0.5, 'conv_forward')
@pytest.mark.parametrize('stride, pad', cases.CONV_SETTINGS, ids=cases.CONV_IDS)
def test_conv_forward(student, stride, pad):
    """conv_forward on fixed inputs, C = 3, F = 4, H != W"""
    c = cases.convolution()
    what = f'conv_forward(x, W, b, stride={stride}, pad={pad}) for x {c["x"].shape}, W {c["W"].shape}'
    expect_known(expect_array, student.cnn.conv_forward(c['x'], c['W'], c['b'], stride, pad),
                 expected(f'conv_forward_stride_{stride}_pad_{pad}'), what,
                 conv_forward_mistakes(c['x'], c['W'], c['b'], stride, pad))


@pytest.mark.points(0.6, 'conv_backward')
@pytest.mark.parametrize('stride, pad', cases.CONV_SETTINGS, ids=cases.CONV_IDS)
def test_conv_backward(student, stride, pad):
    """conv_backward on fixed inputs: dx, dW and db"""
    c = cases.convolution()
    dout = c['dout'][stride, pad]
    what = f'conv_backward(dout, x, W, b, stride={stride}, pad={pad})'
    got = dict(zip(('dx', 'dW', 'db'), result_tuple(
        student.cnn.conv_backward(dout, c['x'], c['W'], c['b'], stride, pad), ('dx', 'dW', 'db'), what)))
    want = expected(f'conv_backward_stride_{stride}_pad_{pad}')
    mistakes = conv_backward_mistakes(dout, c['x'], c['W'], stride, pad)
    expect_every([lambda name=name: expect_known(expect_array, got[name], want[name], f'{what}: {name}',
                                                 mistakes[name]) for name in want])


@pytest.mark.points(0.25, 'maxpool_forward')
@pytest.mark.parametrize('size, stride', cases.POOL_SETTINGS, ids=cases.POOL_IDS)
def test_maxpool_forward(student, size, stride):
    """maxpool_forward on fixed inputs, non-overlapping and overlapping windows"""
    p = cases.pooling()
    expect_known(expect_array, student.cnn.maxpool_forward(p['x'], size, stride),
                 expected(f'maxpool_forward_size_{size}_stride_{stride}'),
                 f'maxpool_forward(x, size={size}, stride={stride}) for x {p["x"].shape}',
                 maxpool_forward_mistakes(p['x'], size, stride))


@pytest.mark.points(0.5, 'maxpool_backward')
@pytest.mark.parametrize('size, stride', cases.POOL_SETTINGS, ids=cases.POOL_IDS)
def test_maxpool_backward(student, size, stride):
    """maxpool_backward with equal maxima in many windows: the first in row-major order gets the gradient"""
    p = cases.pooling()
    dout = p['dout'][size, stride]
    expect_known(expect_array, student.cnn.maxpool_backward(dout, p['x'], size, stride),
                 expected(f'maxpool_backward_size_{size}_stride_{stride}'),
                 f'maxpool_backward(dout, x, size={size}, stride={stride}) for x of small integers {p["x"].shape}',
                 maxpool_backward_mistakes(dout, p['x'], size, stride))


def _init_call():
    return 'init_cnn({input_shape}, {num_filters}, {filter_size}, {hidden_dim}, {num_classes}, seed={seed})'.format(
        **cases.INIT)


@pytest.mark.points(0.4, 'init_cnn')
def test_init_cnn_shapes_and_seed(student):
    """init_cnn: keys, shapes, zero biases (b1 of shape (F,)), and the same seed gives the same params"""
    shapes = cnn_shapes(**{k: v for k, v in cases.INIT.items() if k != 'seed'})
    params = expect_cnn_shapes(student.cnn.init_cnn(**cases.INIT), shapes, _init_call())
    again = expect_keys(student.cnn.init_cnn(**cases.INIT), shapes, _init_call() + ' called twice')
    for name in shapes:
        expect_array(again[name], params[name], f'{_init_call()}[{name!r}] called twice', rtol=0, atol=0)


@pytest.mark.points(0.4, 'init_cnn')
def test_init_cnn_follows_the_recipe(student):
    """init_cnn: one np.random.default_rng(seed), W1, W2, W3 in order, each standard normal / sqrt(fan_in)"""
    expect_cnn_recipe(student.cnn.init_cnn(**cases.INIT), expected('init_cnn'), cases.INIT['seed'], _init_call())


@pytest.mark.points(0.6, 'cnn_loss_and_grads')
def test_cnn_loss(student):
    """cnn_loss_and_grads: the loss with L2 on a fixed network"""
    n = cases.network()
    params, what = n['params'], f'the loss of cnn_loss_and_grads(X, y, params, {cases.REG})'
    got = result_tuple(student.cnn.cnn_loss_and_grads(n['X'], n['y'], params, cases.REG), ('loss', 'grads'),
                       f'cnn_loss_and_grads(X, y, params, {cases.REG})')
    mistakes = l2_loss_mistakes(expected('cnn_loss_no_reg'), [params[w] for w in ('W1', 'W2', 'W3')], cases.REG,
                                len(n['y']), [params[b] for b in ('b1', 'b2', 'b3')])
    expect_scalar(got[0], expected('cnn_loss'), what, batch=len(n['y']), classes=4,
                  known_mistakes=mistakes + [(expected('cnn_loss_channels_last'), FLATTEN)])


def gradient_mistakes(want, params, reg, batch, channels_last):
    """Known wrong gradients of cnn_loss_and_grads: {name: [(wrong, explanation)]}."""
    mistakes = {}
    for name, value in want.items():
        mistakes[name] = (l2_gradient_mistakes(value, params[name], reg, batch) if name.startswith('W')
                          else l2_bias_mistakes(value, params[name], reg))
        mistakes[name].append((channels_last[name], FLATTEN))
    filters = len(want['b1'])
    mistakes['b1'] += [(want['b1'].reshape(shape), f"grads['b1'] has shape {shape}; a gradient has the shape of its "
                                                   f'parameter, and b1 is ({filters},)')
                       for shape in ((1, filters), (filters, 1))]
    return mistakes


@pytest.mark.points(0.9, 'cnn_loss_and_grads')
def test_cnn_gradients(student):
    """cnn_loss_and_grads: every gradient with L2 on a fixed network"""
    n = cases.network()
    what = f'cnn_loss_and_grads(X, y, params, {cases.REG})'
    got = result_tuple(student.cnn.cnn_loss_and_grads(n['X'], n['y'], n['params'], cases.REG), ('loss', 'grads'),
                       what)
    grads = expect_keys(got[1], n['params'], f'the grads of {what}')
    want = expected('cnn_grads')
    mistakes = gradient_mistakes(want, n['params'], cases.REG, len(n['y']), expected('cnn_grads_channels_last'))
    expect_every([lambda name=name: expect_known(expect_array, grads[name], want[name], f"{what}: grads['{name}']",
                                                 mistakes[name], batch=len(n['y']), classes=4) for name in want])


@pytest.mark.points(0.5, 'cnn_predict')
def test_cnn_predict(student):
    """cnn_predict returns the most probable class of each image"""
    n = cases.network()
    got = expect_labels(student.cnn.cnn_predict(n['images'], n['params']), 12, 4, 'cnn_predict(X, params)')
    expect_array(got.astype(float), expected('cnn_predict'), 'cnn_predict(X, params)')


@pytest.mark.points(0.8, 'cnn_fit')
def test_cnn_fit_follows_the_contract(student):
    """cnn_fit: two epochs of reshuffled minibatches follow the momentum update from your own init_cnn"""
    X, y = cases.fit_data()
    fit = cases.FIT
    shapes = cnn_shapes(X.shape[1:], fit['num_filters'], fit['filter_size'], fit['hidden_dim'], 3)
    init = f'init_cnn({X.shape[1:]}, {fit["num_filters"]}, {fit["filter_size"]}, {fit["hidden_dim"]}, 3, ' \
           f'seed={fit["seed"]})'
    params0 = contract_params(student.cnn.init_cnn(X.shape[1:], fit['num_filters'], fit['filter_size'],
                                                   fit['hidden_dim'], 3, seed=fit['seed']), shapes, init)
    got = student.cnn.cnn_fit(X, y, **fit)
    reg = fit['reg_lambda']
    expect_cnn_fit(got, params0, own_step(reg), X, y, fit, f'cnn_fit(X, y, **{fit}) on {len(X)} images',
                   own_step=lambda Xb, yb, p: student.cnn.cnn_loss_and_grads(Xb, yb, p, reg))


def _as_dict(result):
    """A result with its tuples as dicts, for expect_same."""
    if isinstance(result, (tuple, list)):
        return {f'[{index}]': _as_dict(item) for index, item in enumerate(result)}
    return result


def _defaults_of(student, name):
    """(the call without hyper-parameters, the call with the contract's defaults spelled out)."""
    c, p, n = cases.convolution(), cases.pooling(), cases.network()
    cnn, (X, y) = student.cnn, cases.defaults_fit_data()
    calls = {'conv_forward': lambda **kw: cnn.conv_forward(c['x'], c['W'], c['b'], **kw),
             'conv_backward': lambda **kw: cnn.conv_backward(c['dout'][1, 0], c['x'], c['W'], c['b'], **kw),
             'maxpool_forward': lambda **kw: cnn.maxpool_forward(p['x'], **kw),
             'maxpool_backward': lambda **kw: cnn.maxpool_backward(p['dout'][2, 2], p['x'], **kw),
             'init_cnn': lambda **kw: cnn.init_cnn(cases.INIT['input_shape'], **kw),
             'cnn_loss_and_grads': lambda **kw: cnn.cnn_loss_and_grads(n['X'], n['y'], n['params'], **kw),
             'cnn_fit': lambda **kw: cnn.cnn_fit(X, y, **kw)}
    return _as_dict(calls[name]()), _as_dict(calls[name](**DEFAULTS[name]))


@pytest.mark.parametrize('name', [pytest.param(name, marks=pytest.mark.points(0.1, name)) for name in
                                  ('conv_forward', 'conv_backward', 'maxpool_forward', 'maxpool_backward', 'init_cnn',
                                   'cnn_loss_and_grads', 'cnn_fit')])
def test_defaults_are_the_contracts(student, name):
    """leaving out a hyper-parameter means the contract's default"""
    without, spelled_out = _defaults_of(student, name)
    expect_same(without, spelled_out, f'{name} without its hyper-parameters')
