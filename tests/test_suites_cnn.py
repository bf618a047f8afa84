"""The pieces of Part 6's suites that the grading leans on: the public expectations, the loops
that compute the wrong answers (without a mistake they are the reference), the replay of
cnn_fit and the public suite's judgement of a fit by it, and the rubric's split between the
public and hidden suites."""

import numpy as np
import pytest

from grader.engine import grading
from grader.spec import SPEC
from grader.suites.hidden import cnn_mistakes as mistakes
from grader.engine.checks import Mismatch
from grader.suites.public import cnn_cases as cases
from grader.suites.public.cnn_checks import expect_cnn_weights, unambiguous
from grader.suites.public.cnn_fits import expect_replayed_fit, replay
from grader.suites.public.schedules import SCHEDULES, batches, epoch_orders
from grader.suites.public.expectations import expected, mistakes as known_mistakes
from solution import cnn
from tests.submissions import ROOT
from tests.test_reference_cnn import CONV_CASES, conv_case


def test_public_cnn_expectations_are_up_to_date():
    from tools import expected_cnn
    assert expected_cnn.main(['--check']) == 0


@pytest.mark.parametrize('case', CONV_CASES)
def test_the_convolution_loops_are_the_reference(case):
    x, W, b, dout, stride, pad = conv_case(case)
    np.testing.assert_allclose(mistakes.loop_conv_forward(x, W, b, stride, pad), cnn.conv_forward(x, W, b, stride, pad),
                               rtol=1e-12, atol=1e-12)
    loops, reference = mistakes.loop_conv_backward(dout, x, W, stride, pad), cnn.conv_backward(dout, x, W, b, stride, pad)
    for got, want in zip(loops, reference):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('shape, size, stride', [((2, 2, 4, 6), 2, 2), ((1, 2, 5, 4), 3, 1), ((2, 3, 5, 7), 3, 2)])
def test_the_pooling_loops_are_the_reference_and_their_routes_differ_on_ties(shape, size, stride):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, shape).astype(float)
    dout = rng.standard_normal(cnn.maxpool_forward(x, size, stride).shape)
    np.testing.assert_array_equal(mistakes.loop_maxpool(x, size, stride), cnn.maxpool_forward(x, size, stride))
    right = cnn.maxpool_backward(dout, x, size, stride)
    np.testing.assert_allclose(mistakes.loop_maxpool(x, size, stride, dout), right, rtol=1e-12, atol=1e-12)
    wrong = mistakes.maxpool_backward_mistakes(dout, x, size, stride)
    assert len(unambiguous(wrong, right)) == len(wrong), 'every mistake is told apart on these inputs'


def test_the_channels_last_network_is_the_contracts_with_w2_permuted():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((3, 2, 4, 6)), np.array([0, 2, 1])
    params = cnn.init_cnn((2, 4, 6), 3, 3, 5, 3, seed=2)
    loss, grads = mistakes.flatten_mistakes(params, lambda p: cnn.cnn_loss_and_grads(X, y, p, 0.1), 4, 6)

    def channels_last_loss(p):       # the network written out with a channels-last flattening
        conv = np.maximum(cnn.conv_forward(X, p['W1'], p['b1'], 1, 1), 0)
        flat = cnn.maxpool_forward(conv).transpose(0, 2, 3, 1).reshape(3, -1)
        scores = np.maximum(flat @ p['W2'] + p['b2'], 0) @ p['W3'] + p['b3']
        log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
        return -log_probs[np.arange(3), y].mean() + 0.05 * sum(np.sum(p[w] ** 2) for w in ('W1', 'W2', 'W3'))

    assert np.isclose(loss, channels_last_loss(params), rtol=1e-12)
    step = 1e-6 * np.sign(grads['W2'])    # a step along the claimed gradient changes the loss as it says
    change = channels_last_loss({**params, 'W2': params['W2'] + step}) - loss
    assert np.isclose(change, np.sum(grads['W2'] * step), rtol=1e-3)


def test_the_schedules_differ_and_the_contracts_is_cnn_fits():
    orders = {name: epoch_orders(10, 3, 4, name, [(2, 1, 3, 3), (8, 5), (5, 3)]) for name in ['contract', *SCHEDULES]}
    flat = {name: np.concatenate(order) for name, order in orders.items()}
    assert len({tuple(order) for order in flat.values()}) == len(flat)
    assert [len(batch) for batch in batches(orders['contract'], 4)] == [4, 4, 2] * 3

    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((7, 2, 4, 6)), np.array([0, 1, 2, 0, 1, 2, 0])
    fit = {'num_filters': 2, 'filter_size': 3, 'hidden_dim': 4, 'epsilon': 0.1, 'momentum': 0.8, 'reg_lambda': 0.01,
           'num_epochs': 3, 'batch_size': 3, 'seed': 9}
    params, losses = cnn.cnn_fit(X, y, **fit)
    params0 = cnn.init_cnn((2, 4, 6), 2, 3, 4, 3, seed=9)
    replayed, replayed_losses = replay(params0, lambda Xb, yb, p: cnn.cnn_loss_and_grads(Xb, yb, p, 0.01), X, y, fit)
    np.testing.assert_allclose(replayed_losses, losses, rtol=1e-9)
    for name in params:
        np.testing.assert_allclose(replayed[name], params[name], rtol=1e-8, atol=1e-10)


def reference_step(Xb, yb, params):
    return cnn.cnn_loss_and_grads(Xb, yb, params, cases.FIT['reg_lambda'])


def l2_missing_step(Xb, yb, params):
    return cnn.cnn_loss_and_grads(Xb, yb, params, 0.0)


def test_a_public_fit_is_judged_by_the_students_own_init_and_loss():
    X, y = cases.fit_data()
    fit, what = cases.FIT, 'cnn_fit(X, y)'
    params0 = cnn.init_cnn(X.shape[1:], fit['num_filters'], fit['filter_size'], fit['hidden_dim'], 3, seed=1)
    # Consistent with the student's own (wrong) loss, from the student's own (other) init: no loss of points.
    expect_replayed_fit(replay(params0, l2_missing_step, X, y, fit), params0, l2_missing_step, X, y, fit, what)
    with pytest.raises(Mismatch, match='(?i)the batches are not reshuffled'):
        expect_replayed_fit(replay(params0, l2_missing_step, X, y, fit, 'one permutation'), params0, l2_missing_step,
                            X, y, fit, what)
    with pytest.raises(Mismatch, match='(?i)the momentum is ignored'):
        expect_replayed_fit(replay(params0, reference_step, X, y, fit, momentum=0.0), params0, reference_step, X, y,
                            fit, what)

    def failing(Xb, yb, params):
        raise ValueError('no')

    with pytest.raises(Mismatch, match='with your own cnn_loss_and_grads, and that failed'):
        expect_replayed_fit(replay(params0, reference_step, X, y, fit), params0, failing, X, y, fit, what)


def test_the_public_fit_follows_the_reference_run_when_its_init_is_the_references():
    X, y = cases.fit_data()
    file = cases.EXPECTED_FILE.name
    params0, run = expected('cnn_fit_init', file), expected('cnn_fit', file)
    reference = (run['params'], run['losses'])
    got = replay(params0, reference_step, X, y, cases.FIT)
    np.testing.assert_allclose(got[1], run['losses'], rtol=1e-12)

    def failing(Xb, yb, params):
        raise ValueError('no')

    # With its own loss failing, a fit from the reference's init is judged by the reference's run.
    expect_replayed_fit(got, params0, failing, X, y, cases.FIT, 'cnn_fit(X, y)', reference)


def test_the_public_init_diagnosis_names_the_generator_and_the_scale_from_the_data():
    file, names = cases.EXPECTED_FILE.name, ('W1', 'W2', 'W3')
    want = expected('init_cnn', file)
    generators = {name: known_mistakes(f'init_cnn_generators_{name}', file) for name in names}
    scales = {name: known_mistakes(f'init_cnn_scales_{name}', file) for name in names}
    expect_cnn_weights(want, want, generators, scales, 'init_cnn')
    legacy = next(draws for draws, why in generators['W1'] if 'legacy' in why)
    with pytest.raises(Mismatch, match=r'(?s)Legacy np.random.seed.*divided by fan_in = 75, not by np.sqrt'):
        expect_cnn_weights({**want, 'W1': legacy / 75}, want, generators, scales, 'init_cnn')


def test_the_public_suite_holds_about_half_of_part_6():
    part = next(part for part in SPEC.parts if part.number == 6)
    public = grading.grade(ROOT / 'solution', SPEC.offering([6]), 'public')
    assert public['score'] == public['extra_data']['max_score']
    assert 0.4 * part.points <= public['score'] <= 0.5 * part.points
    tagged = {tag for test in public['tests'] for tag in test['tags']}
    assert tagged == set(part.functions)
