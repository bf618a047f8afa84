"""Part 6, public: the convolutional network on fixed inputs.

Each test calls one contract function (cnn_fit also its own init_cnn, where the contract
starts it, and its own cnn_loss_and_grads, with which its steps are replayed). The expected
values and the wrong answers that the feedback recognises come from expected_cnn.json.
"""

import numpy as np
import pytest

from grader.engine.checks import (Mismatch, expect_array, expect_every, expect_keys, expect_labels, expect_same,
                                  expect_scalar)
from grader.spec import DEFAULTS

from . import cnn_cases as cases
from .cnn_checks import WEIGHTS, expect_cnn_shapes, expect_cnn_weights, expect_known, result_tuple
from .cnn_fits import REPLAY_FAILURES, expect_replayed_fit
from .expectations import expected as expected_in, mistakes as mistakes_in
from .fits import cnn_shapes, contract_params, own_update
from .relative import expect_built_on


def expected(key):
    """The reference's answer for one of Part 6's public cases."""
    return expected_in(key, file=cases.EXPECTED_FILE.name)


def mistakes(key):
    """The known wrong answers of one of Part 6's public cases: [(value, explanation)]."""
    return mistakes_in(key, file=cases.EXPECTED_FILE.name)


@pytest.mark.points(0.5, 'conv_forward')
@pytest.mark.parametrize('stride, pad', cases.CONV_SETTINGS, ids=cases.CONV_IDS)
def test_conv_forward(student, stride, pad):
    """conv_forward on fixed inputs, C = 3, F = 4, H != W"""
    c = cases.convolution()
    what = f'conv_forward(x, W, b, stride={stride}, pad={pad}) for x {c["x"].shape}, W {c["W"].shape}'
    expect_known(expect_array, student.cnn.conv_forward(c['x'], c['W'], c['b'], stride, pad),
                 expected(f'conv_forward_stride_{stride}_pad_{pad}'), what,
                 mistakes(f'conv_forward_stride_{stride}_pad_{pad}'))


@pytest.mark.points(0.6, 'conv_backward')
@pytest.mark.parametrize('stride, pad', cases.CONV_SETTINGS, ids=cases.CONV_IDS)
def test_conv_backward(student, stride, pad):
    """conv_backward on fixed inputs: dx, dW and db"""
    c = cases.convolution()
    dout = c['dout'][stride, pad]
    what = f'conv_backward(dout, x, W, b, stride={stride}, pad={pad})'
    got = dict(zip(('dx', 'dW', 'db'), result_tuple(
        student.cnn.conv_backward(dout, c['x'], c['W'], c['b'], stride, pad), ('dx', 'dW', 'db'), what)))
    key = f'conv_backward_stride_{stride}_pad_{pad}'
    want = expected(key)
    expect_every([lambda name=name: expect_known(expect_array, got[name], want[name], f'{what}: {name}',
                                                 mistakes(f'{key}_{name}')) for name in want])


@pytest.mark.points(0.25, 'maxpool_forward')
@pytest.mark.parametrize('size, stride', cases.POOL_SETTINGS, ids=cases.POOL_IDS)
def test_maxpool_forward(student, size, stride):
    """maxpool_forward on fixed inputs, non-overlapping and overlapping windows"""
    p = cases.pooling()
    expect_known(expect_array, student.cnn.maxpool_forward(p['x'], size, stride),
                 expected(f'maxpool_forward_size_{size}_stride_{stride}'),
                 f'maxpool_forward(x, size={size}, stride={stride}) for x {p["x"].shape}',
                 mistakes(f'maxpool_forward_size_{size}_stride_{stride}'))


@pytest.mark.points(0.5, 'maxpool_backward')
@pytest.mark.parametrize('size, stride', cases.POOL_SETTINGS, ids=cases.POOL_IDS)
def test_maxpool_backward(student, size, stride):
    """maxpool_backward with equal maxima: dout to each window's first maximum, summed where windows overlap"""
    p = cases.pooling()
    dout = p['dout'][size, stride]
    expect_known(expect_array, student.cnn.maxpool_backward(dout, p['x'], size, stride),
                 expected(f'maxpool_backward_size_{size}_stride_{stride}'),
                 f'maxpool_backward(dout, x, size={size}, stride={stride}) for x of small integers {p["x"].shape}',
                 mistakes(f'maxpool_backward_size_{size}_stride_{stride}'))


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
    expect_cnn_weights(student.cnn.init_cnn(**cases.INIT), expected('init_cnn'),
                       {name: mistakes(f'init_cnn_generators_{name}') for name in WEIGHTS},
                       {name: mistakes(f'init_cnn_scales_{name}') for name in WEIGHTS}, _init_call())


@pytest.mark.points(0.6, 'cnn_loss_and_grads')
def test_cnn_loss(student):
    """cnn_loss_and_grads: the loss with L2 on a fixed network"""
    n = cases.network()
    params, what = n['params'], f'the loss of cnn_loss_and_grads(X, y, params, {cases.REG})'
    got = result_tuple(student.cnn.cnn_loss_and_grads(n['X'], n['y'], params, cases.REG), ('loss', 'grads'),
                       f'cnn_loss_and_grads(X, y, params, {cases.REG})')
    expect_built_on(lambda: expect_scalar(got[0], expected('cnn_loss'), what, batch=len(n['y']), classes=4,
                                          known_mistakes=mistakes('cnn_loss')),
                    student, 'cnn_loss_and_grads', (n['X'], n['y'], params, cases.REG), got[0], what,
                    select=lambda result: result[0], dependencies='cnn_predict')


@pytest.mark.points(0.9, 'cnn_loss_and_grads')
def test_cnn_gradients(student):
    """cnn_loss_and_grads: every gradient with L2 on a fixed network"""
    n = cases.network()
    what = f'cnn_loss_and_grads(X, y, params, {cases.REG})'
    got = result_tuple(student.cnn.cnn_loss_and_grads(n['X'], n['y'], n['params'], cases.REG), ('loss', 'grads'),
                       what)
    grads = expect_keys(got[1], n['params'], f'the grads of {what}')
    want = expected('cnn_grads')
    expect_built_on(lambda: expect_every([lambda name=name: expect_known(
        expect_array, grads[name], want[name], f"{what}: grads['{name}']", mistakes(f'cnn_grads_{name}'),
        batch=len(n['y']), classes=4) for name in want]),
        student, 'cnn_loss_and_grads', (n['X'], n['y'], n['params'], cases.REG), grads, what,
        select=lambda result: result[1])


@pytest.mark.points(0.5, 'cnn_predict')
def test_cnn_predict(student):
    """cnn_predict returns the most probable class of each image"""
    n = cases.network()
    what = 'cnn_predict(X, params)'
    got = expect_labels(student.cnn.cnn_predict(n['images'], n['params']), 12, 4, what).astype(float)
    expect_built_on(lambda: expect_array(got, expected('cnn_predict'), what),
                    student, 'cnn_predict', (n['images'], n['params']), got, what)


def _reference_run(params0):
    """(the reference's run (params, losses) of the public fit, its known wrong runs as
    expect_replayed_fit takes them) when params0 is the reference's init for it; else (None, None)."""
    init = expected('cnn_fit_init')
    if not all(np.allclose(params0[name], init[name], rtol=1e-10, atol=1e-14) for name in init):
        return None, None
    run = expected('cnn_fit')
    return (run['params'], run['losses']), {name: mistakes(f'cnn_fit_{name}') for name in ('losses', *init)}


def _gradients_pass(student):
    """Whether the student's cnn_loss_and_grads gives the public network's loss and gradients
    (those of expected_cnn.json, to the checks' default tolerance)."""
    n = cases.network()
    try:
        loss, grads = student.cnn.cnn_loss_and_grads(n['X'], n['y'], n['params'], cases.REG)
        want = expected('cnn_grads')
        return np.isclose(loss, expected('cnn_loss')) and all(
            np.allclose(np.reshape(grads[name], np.shape(value)), value) for name, value in want.items())
    except REPLAY_FAILURES:
        return False


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
    reference, reference_mistakes = _reference_run(params0)

    def own_step(X_batch, y_batch, params):
        return student.cnn.cnn_loss_and_grads(X_batch, y_batch, params, fit['reg_lambda'])

    try:
        expect_replayed_fit(got, params0, own_step, X, y, fit, f'cnn_fit(X, y, **{fit}) on {len(X)} images', reference,
                            reference_mistakes, own_update(lambda *step: student.two_layer.momentum_step(*step),
                                                           fit['epsilon'], fit['momentum']))
    except Mismatch as error:
        if reference is None and not _gradients_pass(student):     # the replay used a wrong step
            raise Mismatch(f'{error} Note: your cnn_loss_and_grads fails its own test ("every gradient with L2 on a '
                           'fixed network"), and this replay steps with it: fix it first.') from None
        raise


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
