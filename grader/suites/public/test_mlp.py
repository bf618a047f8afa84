"""Part 7, public: dropout, batch normalisation and their network on fixed inputs.

Each test calls one contract function (a fit also its own init_mlp, mlp_loss_and_grads and
mlp_predict, where the contract builds on them). Every answer and every known mistake's wrong
answer comes from expected_mlp.json; a fit is held to the update rule replayed with your own
mlp_loss_and_grads, or to the reference's stored trajectory.
"""

import numpy as np
import pytest

from grader.engine.checks import (Mismatch, as_array, expect_array, expect_every, expect_labels, expect_raises,
                                  expect_same, expect_scalar)
from grader.engine.seam import StudentFailure
from grader.spec import DEFAULTS

from .expectations import expected as _expected
from .expectations import mistakes as _mistakes
from .fits import contract_params, expect_losses, mlp_shapes, own_update
from .mlp_cases import EXPECTED_FILE, FIT, LAYERS, batchnorm_case, defaults_fit_data, dropout_case, fit_data, network
from .mlp_checks import FitCheck, expect_gradient_keys, expect_init_mlp, expect_tuple, fit_parts
from .relative import expect_built_on
from .schedules import step_count


def expected(key):
    return _expected(key, EXPECTED_FILE)


def mistakes(key):
    return _mistakes(key, EXPECTED_FILE)


@pytest.mark.points(0.5, 'dropout_forward')
def test_dropout_forward(student):
    """dropout_forward: the mask of np.random.default_rng(seed), compared exactly, and x * mask / keep_prob"""
    x, what, want = dropout_case()['x'], 'dropout_forward(x, 0.6, 7)', expected('dropout_forward')
    out, mask = expect_tuple(student.mlp.dropout_forward(x, 0.6, 7), ('out', 'mask'), what)
    expect_every([lambda: expect_array(mask, want['mask'], f'{what}: mask', rtol=0, atol=0,
                                       known_mistakes=mistakes('dropout_forward_mask')),
                  lambda: expect_array(out, want['out'], f'{what}: out',
                                       known_mistakes=mistakes('dropout_forward_out'))])


@pytest.mark.points(0.4, 'dropout_backward')
def test_dropout_backward(student):
    """dropout_backward: dout through the kept units, scaled as in the forward pass"""
    case = dropout_case()
    expect_array(student.mlp.dropout_backward(case['dout'], case['mask'], 0.5), expected('dropout_backward'),
                 'dropout_backward(dout, mask, 0.5)', known_mistakes=mistakes('dropout_backward'))


@pytest.mark.points(0.6, 'batchnorm_forward')
def test_batchnorm_forward(student):
    """batchnorm_forward: the batch's mean and biased variance, (1, D), and the normalised output"""
    c, what, want = batchnorm_case(), 'batchnorm_forward(x, gamma, beta)', expected('batchnorm_forward')
    out, mean, var = expect_tuple(student.mlp.batchnorm_forward(c['x'], c['gamma'], c['beta']),
                                  ('out', 'mean', 'var'), what)
    expect_every([lambda: expect_array(out, want['out'], f'{what}: out',
                                       known_mistakes=mistakes('batchnorm_forward_out')),
                  lambda: expect_array(mean, want['mean'], f'{what}: mean'),
                  lambda: expect_array(var, want['var'], f'{what}: var',
                                       known_mistakes=mistakes('batchnorm_forward_var'))])


@pytest.mark.points(0.8, 'batchnorm_backward')
def test_batchnorm_backward(student):
    """batchnorm_backward: dx through the batch statistics, dgamma and dbeta of shape (1, D)"""
    c, what = batchnorm_case(), 'batchnorm_backward(dout, x, gamma, beta)'
    got = expect_tuple(student.mlp.batchnorm_backward(c['dout'], c['x'], c['gamma'], c['beta']),
                       ('dx', 'dgamma', 'dbeta'), what)
    want = expected('batchnorm_backward')
    expect_every([lambda name=name, value=value: expect_array(value, want[name], f'{what}: {name}',
                                                              known_mistakes=mistakes(f'batchnorm_backward_{name}'))
                  for name, value in zip(('dx', 'dgamma', 'dbeta'), got)])


@pytest.mark.points(0.4, 'batchnorm_inference')
def test_batchnorm_inference(student):
    """batchnorm_inference: normalised with the running statistics, not the batch's"""
    c = batchnorm_case()
    expect_array(student.mlp.batchnorm_inference(c['x'], c['gamma'], c['beta'], c['running_mean'], c['running_var']),
                 expected('batchnorm_inference'), 'batchnorm_inference(x, gamma, beta, running_mean, running_var)',
                 known_mistakes=mistakes('batchnorm_inference'))


def check_init_mlp(student, batchnorm):
    """init_mlp(LAYERS, batchnorm, 3) against the reference's, naming what misses the recipe."""
    expect_init_mlp(student.mlp.init_mlp(LAYERS, batchnorm, 3),
                    expected(f'init_mlp_{"batchnorm" if batchnorm else "plain"}_seed_3'), LAYERS, batchnorm,
                    expected('init_mlp_draws_seed_3'), f'init_mlp({LAYERS}, {batchnorm}, 3)')


@pytest.mark.points(0.4, 'init_mlp')
def test_init_mlp_with_batchnorm(student):
    """init_mlp with batch norm: init_deep's weights, gamma ones, beta zeros, running statistics, no hidden bias"""
    check_init_mlp(student, True)


@pytest.mark.points(0.2, 'init_mlp')
def test_init_mlp_without_batchnorm(student):
    """init_mlp without batch norm: exactly init_deep's params"""
    check_init_mlp(student, False)


def check_loss_and_grads(student, case, act, reg, keep_prob, seed, key):
    """mlp_loss_and_grads on a public case against expected_mlp.json's loss and gradients."""
    X, y, params = case['X'], case['y'], case['params']
    what = f"mlp_loss_and_grads(X, y, params, '{act}', {reg}, {keep_prob}, {seed})"
    loss, grads = expect_tuple(student.mlp.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, seed),
                               ('loss', 'grads'), what)
    want = expected(f'mlp_grads_{key}')
    grads = expect_gradient_keys(grads, params, f'{what}: grads')

    def check(name):
        expect_array(grads[name], want[name], f"{what}: grads['{name}']", batch=len(y),
                     known_mistakes=mistakes(f'mlp_grads_{key}_{name}'))

    expect_built_on(lambda: expect_every(
        [lambda: expect_scalar(loss, expected(f'mlp_loss_{key}'), f'{what}: loss', batch=len(y),
                               known_mistakes=mistakes(f'mlp_loss_{key}'))]
        + [lambda name=name: check(name) for name in want]),
        student, 'mlp_loss_and_grads', (X, y, params, act, reg, keep_prob, seed), (loss, grads), what)


@pytest.mark.points(0.6, 'mlp_loss_and_grads')
def test_mlp_loss_and_grads_with_batchnorm_and_dropout(student):
    """mlp_loss_and_grads with batch norm, dropout (one generator for every mask) and L2"""
    check_loss_and_grads(student, network(True), 'relu', 0.1, 0.7, 11, 'batchnorm_dropout')


@pytest.mark.points(0.4, 'mlp_loss_and_grads')
def test_mlp_loss_and_grads_without_batchnorm(student):
    """mlp_loss_and_grads without batch norm or dropout, with L2"""
    check_loss_and_grads(student, network(False), 'tanh', 0.1, 1.0, 0, 'plain')


def check_predict(student):
    """mlp_predict on the public batch and on its first samples alone; Mismatch when a label is wrong."""
    case = network(True)
    X, params, want = case['X'], case['params'], expected('mlp_predict')
    what = "mlp_predict(X, params, 'relu')"
    got = expect_labels(student.mlp.mlp_predict(X, params, 'relu'), len(X), 3, what).astype(float)
    expect_built_on(lambda: expect_array(got, want, what, known_mistakes=mistakes('mlp_predict')),
                    student, 'mlp_predict', (X, params, 'relu'), got, what)
    for i in range(3):
        one = f"mlp_predict(X[{i}:{i + 1}], params, 'relu'), one sample alone"
        label = expect_labels(student.mlp.mlp_predict(X[i:i + 1], params, 'relu'), 1, 3, one).astype(float)
        expect_built_on(lambda: expect_array(label, want[i:i + 1], one,
                                             known_mistakes=mistakes(f'mlp_predict_sample_{i}')),
                        student, 'mlp_predict', (X[i:i + 1], params, 'relu'), label, one)


@pytest.mark.points(0.5, 'mlp_predict')
def test_mlp_predict_uses_the_running_statistics(student):
    """mlp_predict: inference mode, with the running statistics, for a batch and for single samples"""
    check_predict(student)


def fit(student, data, **validation):
    """(the student's own init_mlp's params or None, what mlp_fit returned, its description) for FIT on `data`."""
    seed = FIT['seed']
    try:
        own = student.mlp.init_mlp(LAYERS, True, seed)
        start = contract_params({name: own[name] for name in mlp_shapes(LAYERS, True)}, mlp_shapes(LAYERS, True),
                                f'init_mlp({LAYERS}, True, {seed})')
    except (StudentFailure, Mismatch, KeyError, TypeError):
        start = None            # a broken init_mlp costs its own tests: the fit may start from the contract's
    got = student.mlp.mlp_fit(data['X'], data['y'], LAYERS, **FIT, **validation)
    return start, got, f'mlp_fit(X, y, {LAYERS}, ...)'


def predict_note(student):
    """What to say of accuracies measured with the student's own mlp_predict: that it fails its own test, if it does."""
    try:
        check_predict(student)
    except (Mismatch, StudentFailure):
        return ("your mlp_predict fails its own test (see 'mlp_predict: inference mode, with the running "
                "statistics'); the accuracy is measured with it")
    return ''


@pytest.mark.points(0.8, 'mlp_fit')
def test_mlp_fit_replays_its_batches_running_statistics_and_history(student):
    """mlp_fit: two epochs replayed step for step from your own init_mlp; running statistics; accuracies per epoch"""
    data = fit_data()
    start, got, what = fit(student, data, X_val=data['X_val'], y_val=data['y_val'])
    shapes = mlp_shapes(LAYERS, True)
    running = [name for name in shapes if name.startswith('running_')]
    check = FitCheck(shapes, expected('mlp_fit'), {name: mistakes(f'mlp_fit_{name}') for name in running},
                     own_step=lambda X, y, p: student.mlp.mlp_loss_and_grads(X, y, p, 'tanh', FIT['reg_lambda']),
                     own_predict=lambda X, p: student.mlp.mlp_predict(X, p, 'tanh'),
                     update=own_update(lambda *step: student.two_layer.momentum_step(*step), FIT['epsilon'],
                                       FIT['momentum']))
    check.expect(got, start, data['X'], data['y'], FIT, what=what, predict_note=lambda: predict_note(student),
                 data={'train_accuracy': (data['X'], data['y']), 'val_accuracy': (data['X_val'], data['y_val'])})


@pytest.mark.points(0.3, 'mlp_fit')
def test_mlp_fit_history_without_validation_data(student):
    """mlp_fit without X_val: a loss per step, an accuracy per epoch, no validation accuracy; X_val alone raises"""
    data = fit_data()
    what = f'mlp_fit(X, y, {LAYERS}, ...) without X_val'
    _, history = fit_parts(student.mlp.mlp_fit(data['X'], data['y'], LAYERS, **FIT), what)
    expect_losses(history['loss'], step_count(len(data['X']), FIT), what, per='step', name="history['loss']")
    accuracies = as_array(history['train_accuracy'], f"{what}: history['train_accuracy']")
    if accuracies.shape != (FIT['num_epochs'],) or not np.all((accuracies >= 0) & (accuracies <= 1)):
        raise Mismatch(f"{what} returned history['train_accuracy'] = {accuracies.tolist()}; expected "
                       f"{FIT['num_epochs']} fractions in [0, 1], one per epoch")
    if len(history['val_accuracy']):
        raise Mismatch(f"{what} returned history['val_accuracy'] = {history['val_accuracy']}; expected [] when "
                       'neither X_val nor y_val is given')
    for given in ('X_val', 'y_val'):
        expect_raises(lambda: student.mlp.mlp_fit(data['X'], data['y'], LAYERS, **{**FIT, 'num_epochs': 1},
                                                  **{given: data[given]}),
                      'ValueError', f'mlp_fit(X, y, {LAYERS}, ..., {given}={given}) without the other')


def _defaults_of(student, name):
    """(the call without hyper-parameters, the call with the contract's defaults spelled out)."""
    c, n, mlp = batchnorm_case(), network(True), student.mlp
    X, y, params = n['X'], n['y'], n['params']
    calls = {'batchnorm_forward': lambda **kw: mlp.batchnorm_forward(c['x'], c['gamma'], c['beta'], **kw),
             'batchnorm_backward': lambda **kw: mlp.batchnorm_backward(c['dout'], c['x'], c['gamma'], c['beta'], **kw),
             'batchnorm_inference': lambda **kw: mlp.batchnorm_inference(c['x'], c['gamma'], c['beta'],
                                                                         c['running_mean'], c['running_var'], **kw),
             'init_mlp': lambda **kw: mlp.init_mlp(LAYERS, **kw),
             'mlp_loss_and_grads': lambda **kw: mlp.mlp_loss_and_grads(X, y, params, **kw),
             'mlp_predict': lambda **kw: mlp.mlp_predict(X, params, **kw),
             'mlp_fit': lambda **kw: mlp.mlp_fit(*defaults_fit_data(), LAYERS, **kw)}
    return calls[name](), calls[name](**DEFAULTS[name])


TUPLES = {'batchnorm_forward': 3, 'batchnorm_backward': 3, 'mlp_loss_and_grads': 2, 'mlp_fit': 2}


def expect_same_results(without, spelled_out, name, what):
    """expect_same, part by part for a function that returns a tuple."""
    if name not in TUPLES:
        return expect_same(without, spelled_out, what)
    names = [str(i) for i in range(TUPLES[name])]
    for i, (got, want) in enumerate(zip(expect_tuple(without, names, what), expect_tuple(spelled_out, names, what))):
        expect_same(got, want, f'{what}, part {i} of its result')


@pytest.mark.parametrize('name', [pytest.param(name, marks=[pytest.mark.points(0.1, name)]
                                               + [pytest.mark.training] * (name == 'mlp_fit'))
                                  for name in ('batchnorm_forward', 'batchnorm_backward', 'batchnorm_inference',
                                               'init_mlp', 'mlp_loss_and_grads', 'mlp_predict', 'mlp_fit')])
def test_mlp_defaults_are_the_contracts(student, name):
    """leaving out a hyper-parameter means the contract's default"""
    without, spelled_out = _defaults_of(student, name)
    expect_same_results(without, spelled_out, name, f'{name} without its hyper-parameters')
    if name == 'mlp_loss_and_grads':        # the seed's default draws masks only with dropout
        n = network(True)
        expect_same_results(student.mlp.mlp_loss_and_grads(n['X'], n['y'], n['params'], keep_prob=0.7),
                            student.mlp.mlp_loss_and_grads(n['X'], n['y'], n['params'], keep_prob=0.7,
                                                           seed=DEFAULTS[name]['seed']),
                            name, f'{name}(X, y, params, keep_prob=0.7) without its seed')
