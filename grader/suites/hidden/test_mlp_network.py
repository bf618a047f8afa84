"""Part 7, hidden: the network with batch norm and dropout on random inputs, its training
replayed with the reference's gradients, and what it learns."""

import numpy as np
import pytest

from grader.engine.checks import (Cases, Mismatch, expect_array, expect_every, expect_given, expect_gradient,
                                  expect_labels, expect_scalar)
from grader.engine.gradcheck import numerical_gradients
from grader.spec import ACTIVATIONS, THRESHOLDS
from grader.suites.hidden import mlp_network as net
from grader.suites.hidden.given import expect_result_given, faults_given
from grader.suites.hidden.mistakes import l2_gradient_mistakes
from grader.suites.hidden.mlp_mistakes import mlp_loss_mistakes, mlp_predict_mistakes
from grader.suites.hidden.mlp_training import (expect_dropout_fit, expect_fit_follows, expect_history, expect_init_mlp,
                                        expect_running, recipe_keys, start_params)
from grader.suites.public.mlp_cases import random_params
from grader.suites.public.mlp_checks import expect_gradient_keys, expect_tuple
from grader.suites.hidden.training import expect_accuracy, own_update
from solution import mlp as ref

from .mlp_nets import mlp_net
from .nets import labels


@pytest.mark.points(0.6, 'init_mlp')
def test_init_mlp_follows_the_recipe_for_a_random_seed(student, rng):
    """init_mlp follows init_deep's recipe for a random seed, with and without batch norm; other seeds differ"""
    layers, seed = [30, 20, 12, 5], int(rng.integers(1, 1000))     # no two known scales coincide
    for batchnorm in (True, False):
        what = f'init_mlp({layers}, {batchnorm}, {seed})'
        want = ref.init_mlp(layers, batchnorm, seed)
        params = student.mlp.init_mlp(layers, batchnorm, seed)
        expect_init_mlp(params, layers, batchnorm, seed, what,
                        recipe={name: want[name] for name in recipe_keys(layers, batchnorm)})
    other = student.mlp.init_mlp(layers, True, seed + 1)
    if np.array_equal(np.asarray(other['W2']), np.asarray(params['W2'])):
        raise Mismatch(f'init_mlp gives the same weights for seeds {seed} and {seed + 1}: draw them from '
                       'np.random.default_rng(seed), as init_deep does')


def check_mlp_loss_and_grads(student, case, layers, act, reg, keep_prob, seed):
    """The loss against the reference's, every gradient against centered differences of the
    reference's loss with the same dropout masks, reported together."""
    X, y, params = case['X'], case['y'], case['params']
    what = f"mlp_loss_and_grads(X, y, params, '{act}', {reg:.3g}, {keep_prob}, {seed}) for layers {layers}"
    loss, grads = expect_tuple(student.mlp.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, seed),
                               ('loss', 'grads'), what)
    grads = expect_gradient_keys(grads, params, f'{what}: grads')
    learned = net.learned(params)
    numeric = numerical_gradients(lambda: ref.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, seed)[0], learned)

    def check(name):
        mistakes = l2_gradient_mistakes(numeric[name], params[name], reg, len(y)) if name.startswith('W') else ()
        expect_gradient(grads[name], numeric[name], f"{what}: grads['{name}']", batch=len(y), known_mistakes=mistakes)

    expect_given(lambda: expect_every(
                     [lambda: expect_scalar(loss, ref.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, seed)[0],
                                            f'{what}: loss', batch=len(y),
                                            known_mistakes=mlp_loss_mistakes(X, y, params, act, reg, keep_prob, seed))]
                     + [lambda name=name: check(name) for name in learned]),
                 lambda: faults_given(student, ref, 'mlp_loss_and_grads',
                                      lambda: ref.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, seed),
                                      (loss, grads), what),
                 what)


@pytest.mark.points(0.4, 'mlp_loss_and_grads')
@pytest.mark.parametrize('batchnorm, keep_prob, layers, act', [
    (True, 1.0, [4, 5, 4, 3], 'relu'), (True, 0.6, [3, 4, 3, 4, 2], 'tanh'),
    (False, 1.0, [3, 4, 3, 4, 2], 'sigmoid'), (False, 0.6, [4, 5, 4, 3], 'relu')],
    ids=['batch norm', 'batch norm and dropout', 'plain', 'dropout'])
def test_mlp_loss_and_grads_gradient_check(student, rng, batchnorm, keep_prob, layers, act):
    """mlp_loss_and_grads passes the numerical gradient check with L2, two or three hidden layers"""
    seed, reg = int(rng.integers(10_000)), float(rng.uniform(0.05, 0.3))
    case = mlp_net(rng, layers, 6, act, batchnorm, drop=(keep_prob, seed) if keep_prob < 1 else None)
    check_mlp_loss_and_grads(student, case, layers, act, reg, keep_prob, seed)


def predict_case(rng, layers, n):
    """A batch-normalised network whose labels take 3 classes or more and change when a batch, or a
    sample alone, is normalised with its own statistics: (X, params, samples that show it alone)."""
    for _ in range(200):
        X, params = rng.standard_normal((n, layers[0])) * 1.5 + 0.5, random_params(rng, layers, True)
        want = ref.mlp_predict(X, params, 'relu')
        alone = [i for i in range(n) if net.labels(X[i:i + 1], params, 'relu', 'train')[0] != want[i]]
        if len(set(want)) >= 3 and (net.labels(X, params, 'relu', 'train') != want).any() and alone:
            return X, params, alone[:3]
    raise RuntimeError('no network whose labels tell the running statistics from the batch\'s')


@pytest.mark.points(0.7, 'mlp_predict')
def test_mlp_predict_in_inference_mode(student, rng):
    """mlp_predict uses the running statistics: a batch, single samples, and a network without batch norm"""
    layers = [4, 8, 6, 4]
    X, params, alone = predict_case(rng, layers, 30)
    cases = Cases()
    with cases:
        what = "mlp_predict(X, params, 'relu')"
        got = expect_labels(student.mlp.mlp_predict(X, params, 'relu'), 30, 4, what)
        expect_result_given(student, ref, 'mlp_predict', lambda: ref.mlp_predict(X, params, 'relu'),
                            got.astype(float), what, known_mistakes=mlp_predict_mistakes(X, params, 'relu'))
    for i in alone:
        with cases:
            one = f"mlp_predict(X[{i}:{i + 1}], params, 'relu'), one sample alone"
            label = expect_labels(student.mlp.mlp_predict(X[i:i + 1], params, 'relu'), 1, 4, one)
            expect_array(label.astype(float), ref.mlp_predict(X[i:i + 1], params, 'relu'), one,
                         known_mistakes=mlp_predict_mistakes(X[i:i + 1], params, 'relu'))
    plain = mlp_net(rng, layers, 20, 'tanh', False)
    with cases:
        what = "mlp_predict(X, params, 'tanh') without batch norm"
        got = expect_labels(student.mlp.mlp_predict(plain['X'], plain['params'], 'tanh'), 20, 4, what)
        expect_result_given(student, ref, 'mlp_predict',
                            lambda: ref.mlp_predict(plain['X'], plain['params'], 'tanh'), got.astype(float), what)
    cases.expect()


def replayed_fit(student, X, y, layers, fit, **validation):
    """What mlp_fit returned, checked against the replay with the reference's gradients: (params,
    history, replay)."""
    act, reg = fit['actFun_type'], fit['reg_lambda']
    what = f'mlp_fit(X, y, {layers}, ...) with {fit}'
    start = start_params(lambda: student.mlp.init_mlp(layers, fit['batchnorm'], fit['seed']), layers,
                         fit['batchnorm'], fit['seed'], f"init_mlp({layers}, {fit['batchnorm']}, {fit['seed']})")
    got = student.mlp.mlp_fit(X, y, layers, **fit, **validation)
    return (*expect_fit_follows(got, start, X, y, lambda X_, y_, p: ref.mlp_loss_and_grads(X_, y_, p, act, reg), fit,
                                layers, what, own_step=lambda X_, y_, p: student.mlp.mlp_loss_and_grads(
                                    X_, y_, p, act, reg),
                                update=own_update(lambda *step: student.two_layer.momentum_step(*step),
                                                  fit['epsilon'], fit['momentum'])), what)


def random_fit(rng, batchnorm, epochs, batch_size):
    return dict(actFun_type=str(rng.choice(ACTIVATIONS)), epsilon=float(rng.uniform(0.02, 0.2)),
                momentum=float(rng.uniform(0.5, 0.95)), reg_lambda=float(rng.uniform(0.0, 0.05)), keep_prob=1.0,
                batchnorm=batchnorm, num_epochs=epochs, batch_size=batch_size, seed=int(rng.integers(1000)))


@pytest.mark.points(0.4, 'mlp_fit')
def test_mlp_fit_replays_with_the_reference_gradients(student, rng):
    """mlp_fit: three epochs replayed step for step from your own init_mlp, with batch norm and without; history"""
    layers = [4, 6, 5, 3]
    X, y = rng.standard_normal((30, 4)), labels(rng, 30, 3)
    X_val, y_val = rng.standard_normal((10, 4)), labels(rng, 10, 3)
    fit = random_fit(rng, True, 3, int(rng.integers(8, 13)))
    _, history, replay, what = replayed_fit(student, X, y, layers, fit, X_val=X_val, y_val=y_val)
    act = fit['actFun_type']
    expect_history(history, replay, {'train_accuracy': (X, y), 'val_accuracy': (X_val, y_val)},
                   lambda X_, p: ref.mlp_predict(X_, p, act), lambda X_, p: student.mlp.mlp_predict(X_, p, act), what)
    replayed_fit(student, X, y, layers, random_fit(rng, False, 3, int(rng.integers(8, 13))))


@pytest.mark.points(0.4, 'mlp_fit')
def test_mlp_fit_running_statistics(student, rng):
    """mlp_fit: the running statistics of data far from mean 0 and variance 1, updated 0.9/0.1 after every step"""
    layers = [4, 6, 5, 3]
    X = rng.standard_normal((25, 4)) * rng.uniform(2.0, 4.0, (1, 4)) + rng.uniform(1.0, 3.0, (1, 4))
    y = labels(rng, 25, 3)
    params, _, replay, what = replayed_fit(student, X, y, layers, random_fit(rng, True, 2, 10))
    expect_running(params, replay, what)


@pytest.mark.points(0.2, 'mlp_fit')
def test_mlp_fit_with_dropout(student, rng):
    """mlp_fit with dropout: the same result for the same arguments, units dropped, the contract's batches

    With epsilon 0 the batches show in the first layer's running statistics, computed before any dropout."""
    layers = [4, 6, 5, 3]
    X, y = rng.standard_normal((30, 4)) * 2.0 + 1.0, labels(rng, 30, 3)
    fit = {**random_fit(rng, True, 3, int(rng.integers(6, 11))), 'epsilon': 0.0, 'keep_prob': 0.6}
    act, reg = fit['actFun_type'], fit['reg_lambda']
    start = start_params(lambda: student.mlp.init_mlp(layers, True, fit['seed']), layers, True, fit['seed'],
                         f"init_mlp({layers}, True, {fit['seed']})")
    expect_dropout_fit(lambda: student.mlp.mlp_fit(X, y, layers, **fit), start, X, y,
                       lambda X_, y_, p: ref.mlp_loss_and_grads(X_, y_, p, act, reg), fit, layers,
                       f'mlp_fit(X, y, {layers}, ...) with {fit}')


@pytest.mark.points(0.6, 'mlp_fit')
@pytest.mark.training
def test_mlp_fit_learns_digits(student, grading_seed):
    """mlp_fit learns the 8x8 digits: held-out accuracy of a [64, 64, 10] relu network with batch norm and dropout"""
    expect_accuracy('mlp digits', student, grading_seed % THRESHOLDS['mlp digits']['seeds'], predict=ref.mlp_predict)
