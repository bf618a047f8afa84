"""Part 6, hidden: the convolutional network on random inputs, against the reference and
centered differences of its functions; its training, and its accuracy on the digits."""

import numpy as np
import pytest

from grader.engine.checks import (Cases, Mismatch, expect_array, expect_every, expect_given, expect_gradient,
                                  expect_keys, expect_labels, expect_scalar)
from grader.engine.gradcheck import numerical_gradients
from grader.spec import THRESHOLDS
from grader.suites.hidden.cnn_mistakes import (FLATTEN, conv_backward_mistakes, conv_forward_mistakes, expect_cnn_recipe,
                                        flatten_mistakes, maxpool_backward_mistakes, maxpool_forward_mistakes)
from grader.suites.hidden.cnn_training import expect_cnn_fit
from grader.suites.hidden.given import expect_result_given, faults_given
from grader.suites.hidden.mistakes import l2_bias_mistakes, l2_gradient_mistakes, l2_loss_mistakes
from grader.suites.public.cnn_checks import expect_known, result_tuple
from grader.suites.hidden.training import cnn_shapes, contract_params, expect_accuracy, own_update
from solution import cnn as ref, losses

from .nets import KINK, labels

# (N, C, H, W, F, k, stride, pad): stride 1 and 2, pad 0, 1 and 2, k 1, 3 and 5, C and F > 1, H != W.
CONV_FORWARD = [(2, 3, 5, 7, 4, 3, 1, 1), (2, 2, 7, 5, 3, 3, 2, 0), (1, 3, 6, 8, 2, 5, 1, 2), (2, 2, 5, 9, 3, 1, 2, 0),
                (3, 1, 4, 6, 2, 3, 1, 0), (2, 3, 7, 9, 2, 3, 2, 1), (1, 2, 7, 5, 2, 5, 2, 2), (2, 2, 3, 4, 3, 1, 1, 0)]
CONV_BACKWARD = {
    'stride 1': [(2, 2, 4, 5, 3, 3, 1, 1), (1, 1, 5, 6, 2, 5, 1, 2), (2, 3, 3, 4, 2, 1, 1, 0), (2, 1, 4, 6, 3, 3, 1, 0)],
    'stride 2': [(1, 2, 5, 7, 3, 3, 2, 0), (2, 2, 3, 5, 2, 1, 2, 0), (1, 2, 5, 7, 2, 3, 2, 1), (1, 1, 5, 3, 2, 5, 2, 2)],
}
# (N, C, H, W, size, stride): non-overlapping and overlapping windows, H != W.
POOLS = [(1, 2, 4, 6, 2, 2), (1, 2, 5, 4, 3, 1), (1, 2, 5, 7, 3, 2), (2, 2, 3, 4, 2, 1)]


def conv_inputs(rng, case):
    """x, W, b and a dout of the output's shape for a case of CONV_FORWARD or CONV_BACKWARD."""
    N, C, H, W, F, k, stride, pad = case
    out_h, out_w = 1 + (H + 2 * pad - k) // stride, 1 + (W + 2 * pad - k) // stride
    return (rng.standard_normal((N, C, H, W)), rng.standard_normal((F, C, k, k)), rng.standard_normal(F),
            rng.standard_normal((N, F, out_h, out_w)))


def conv_call(call, case):
    """How to name a call of conv_forward or conv_backward on a case, e.g. call 'x, W, b'."""
    N, C, H, W, F, k, stride, pad = case
    return f'{call}, stride={stride}, pad={pad}) for x ({N}, {C}, {H}, {W}), W ({F}, {C}, {k}, {k})'


@pytest.mark.points(1.0, 'conv_forward')
def test_conv_forward_on_random_inputs(student, rng):
    """conv_forward matches the reference: stride 1 and 2, pad 0 to 2, k 1, 3 and 5, H != W"""
    for case in CONV_FORWARD:
        x, W, b, _ = conv_inputs(rng, case)
        stride, pad = case[6:]
        expect_known(expect_array, student.cnn.conv_forward(x, W, b, stride, pad), ref.conv_forward(x, W, b, stride, pad),
                     conv_call('conv_forward(x, W, b', case), conv_forward_mistakes(x, W, b, stride, pad))


@pytest.mark.points(0.8, 'conv_backward')
@pytest.mark.parametrize('strides', CONV_BACKWARD)
def test_conv_backward_gradient_check(student, rng, strides):
    """conv_backward passes the numerical gradient check: pad 0 to 2, k 1, 3 and 5, H != W"""
    for case in CONV_BACKWARD[strides]:
        x, W, b, dout = conv_inputs(rng, case)
        stride, pad = case[6:]
        what = conv_call('conv_backward(dout, x, W, b', case)
        got = dict(zip(('dx', 'dW', 'db'), result_tuple(student.cnn.conv_backward(dout, x, W, b, stride, pad),
                                                        ('dx', 'dW', 'db'), what)))
        inputs = {'dx': x, 'dW': W, 'db': b}
        numeric = numerical_gradients(lambda: float(np.sum(ref.conv_forward(x, W, b, stride, pad) * dout)), inputs)
        mistakes = conv_backward_mistakes(dout, x, W, stride, pad)
        expect_every([lambda name=name: expect_known(expect_gradient, got[name], numeric[name], f'{what}: {name}',
                                                     mistakes[name]) for name in inputs])


def distinct_values(rng, shape):
    """Random values at least 0.05 apart, so that no pooling window holds two maxima near each other."""
    spaced = rng.permutation(int(np.prod(shape))).reshape(shape) + rng.uniform(0.0, 0.5, shape)
    return spaced * 0.1 - 0.05 * np.prod(shape)


@pytest.mark.points(0.5, 'maxpool_forward')
def test_maxpool_forward_on_random_inputs(student, rng):
    """maxpool_forward matches the reference, non-overlapping and overlapping windows"""
    for N, C, H, W, size, stride in POOLS:
        x = rng.standard_normal((N, C, H, W))
        expect_known(expect_array, student.cnn.maxpool_forward(x, size, stride), ref.maxpool_forward(x, size, stride),
                     f'maxpool_forward(x, size={size}, stride={stride}) for x {x.shape}',
                     maxpool_forward_mistakes(x, size, stride))


@pytest.mark.points(0.8, 'maxpool_backward')
def test_maxpool_backward_gradient_check(student, rng):
    """maxpool_backward passes the numerical gradient check, non-overlapping and overlapping windows"""
    for N, C, H, W, size, stride in POOLS:
        x = distinct_values(rng, (N, C, H, W))
        dout = rng.standard_normal(ref.maxpool_forward(x, size, stride).shape)
        numeric = numerical_gradients(lambda: float(np.sum(ref.maxpool_forward(x, size, stride) * dout)), {'x': x})
        expect_known(expect_gradient, student.cnn.maxpool_backward(dout, x, size, stride), numeric['x'],
                     f'maxpool_backward(dout, x, size={size}, stride={stride}) for x {x.shape}',
                     maxpool_backward_mistakes(dout, x, size, stride))


@pytest.mark.points(0.6, 'maxpool_backward')
def test_maxpool_backward_with_equal_maxima(student, rng):
    """maxpool_backward with equal maxima: dout to each window's first maximum, summed where windows overlap"""
    for N, C, H, W, size, stride in POOLS:
        x = rng.integers(0, 3, (N, C, H, W)).astype(np.float64)
        dout = rng.standard_normal(ref.maxpool_forward(x, size, stride).shape)
        expect_known(expect_array, student.cnn.maxpool_backward(dout, x, size, stride),
                     ref.maxpool_backward(dout, x, size, stride),
                     f'maxpool_backward(dout, x, size={size}, stride={stride}) for x {x.shape} of the integers 0..2',
                     maxpool_backward_mistakes(dout, x, size, stride))


@pytest.mark.points(0.8, 'init_cnn')
def test_init_cnn_follows_the_recipe(student, rng):
    """init_cnn follows the recipe for a random seed, C = 3 channels; other seeds give other weights"""
    args = {'input_shape': (3, 6, 4), 'num_filters': 5, 'filter_size': 3, 'hidden_dim': 7, 'num_classes': 4}
    seed = int(rng.integers(1, 1000))    # no two known scales coincide for these shapes
    what = 'init_cnn((3, 6, 4), 5, 3, 7, 4, seed={})'
    params = student.cnn.init_cnn(**args, seed=seed)
    expect_cnn_recipe(params, ref.init_cnn(**args, seed=seed), seed, what.format(seed))
    other = student.cnn.init_cnn(**args, seed=seed + 1)
    if np.array_equal(np.asarray(other['W2']), np.asarray(params['W2'])):
        raise Mismatch(f'init_cnn gives the same weights for seeds {seed} and {seed + 1}: draw them from '
                       'np.random.default_rng(seed)')


def network(rng, n, k, input_shape, filters, hidden, classes):
    """Images, labels and params of a random network whose relu inputs and pooling winners are
    clear of their kinks: every conv output and hidden pre-activation is more than KINK from 0,
    and every pooling window's largest relu output leads the next by more than KINK."""
    for _ in range(100):
        shapes = cnn_shapes(input_shape, filters, k, hidden, classes)
        params = {name: rng.standard_normal(shape) * (0.3 if name.startswith('b') else
                                                      1.5 / np.sqrt(np.prod(shape[1:]) if name == 'W1' else shape[0]))
                  for name, shape in shapes.items()}
        X = rng.standard_normal((n, *input_shape))
        _, cache = ref.cnn_forward(X, params)
        conv, relu = cache['conv'], cache['conv_relu']
        N, F, H, W = relu.shape
        windows = np.sort(relu.reshape(N, F, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4), axis=1)
        if (np.min(np.abs(conv)) > KINK and np.min(np.abs(cache['z2'])) > KINK
                and np.all((windows[:, -1] - windows[:, -2] > KINK) | (windows[:, -1] == 0))):
            return X, labels(rng, n, classes), params
    raise RuntimeError('could not draw a network clear of the kinks')


# {k: (input_shape, filters)}: one network of each filter size, C = 2 but for k = 5, H != W for k = 3.
NETWORKS = {1: ((2, 4, 4), 2), 3: ((2, 4, 6), 2), 5: ((1, 4, 4), 2)}


def reference_loss(X, y, params, reg):
    """The contract's loss, by the reference's forward pass and cross-entropy (no backward pass)."""
    probs = losses.softmax(ref.cnn_forward(X, params)[0])
    penalty = sum(float(np.sum(np.square(params[name]))) for name in ('W1', 'W2', 'W3'))
    return losses.averageCE(np.eye(probs.shape[1])[y], probs) + reg / 2 * penalty


@pytest.mark.points(0.6, 'cnn_loss_and_grads')
def test_cnn_loss_on_random_networks(student, rng):
    """cnn_loss_and_grads: the loss matches the reference, with and without L2"""
    cases = Cases()
    for k in (3, 5):
        input_shape, filters = NETWORKS[k]
        X, y, params = network(rng, 4, k, input_shape, filters, 4, 3)
        for reg in (0.0, float(rng.uniform(0.05, 0.5))):
            what = f'cnn_loss_and_grads(X, y, params, {reg:.3g}) for X {X.shape}, W1 {params["W1"].shape}'
            got = result_tuple(student.cnn.cnn_loss_and_grads(X, y, params, reg), ('loss', 'grads'), what)
            mistakes = l2_loss_mistakes(ref.cnn_loss_and_grads(X, y, params, 0.0)[0],
                                        [params[w] for w in ('W1', 'W2', 'W3')], reg, len(y),
                                        [params[b] for b in ('b1', 'b2', 'b3')])
            flattened = flatten_mistake(X, y, params, reg)
            # The loss is computed by the forward pass that cnn_predict is built on too.
            with cases:
                expect_result_given(student, ref, 'cnn_predict', lambda: ref.cnn_loss_and_grads(X, y, params, reg)[0],
                                    got[0], f'the loss of {what}', check=expect_scalar, batch=len(y), classes=3,
                                    known_mistakes=mistakes + [(flattened[0], FLATTEN)])
    cases.expect()


def flatten_mistake(X, y, params, reg):
    """(loss, grads) of the network that flattens its pooled maps channels last."""
    return flatten_mistakes(params, lambda p: ref.cnn_loss_and_grads(X, y, p, reg), *X.shape[2:])


@pytest.mark.parametrize('k', [pytest.param(k, marks=pytest.mark.points(points, 'cnn_loss_and_grads'))
                               for k, points in ((1, 0.4), (3, 0.5), (5, 0.5))], ids=lambda k: f'k={k}')
def test_cnn_gradient_check(student, rng, k):
    """cnn_loss_and_grads passes the numerical gradient check with L2"""
    input_shape, filters = NETWORKS[k]
    X, y, params = network(rng, 3, k, input_shape, filters, 3, 3)
    reg = float(rng.uniform(0.05, 0.5))
    what = f'cnn_loss_and_grads(X, y, params, {reg:.3g}) for X {X.shape}, W1 {params["W1"].shape}'
    got = result_tuple(student.cnn.cnn_loss_and_grads(X, y, params, reg), ('loss', 'grads'), what)
    grads = expect_keys(got[1], params, f'the grads of {what}')
    numeric = numerical_gradients(lambda: reference_loss(X, y, params, reg), params)
    channels_last = flatten_mistake(X, y, params, reg)[1]
    filters = params['b1'].shape[0]

    def check(name):
        mistakes = (l2_gradient_mistakes(numeric[name], params[name], reg, len(y)) if name.startswith('W')
                    else l2_bias_mistakes(numeric[name], params[name], reg)) + [(channels_last[name], FLATTEN)]
        if name == 'b1':
            mistakes += [(numeric['b1'].reshape(shape), f"grads['b1'] has shape {shape}; a gradient has the shape of "
                                                        f'its parameter, and b1 is ({filters},)')
                         for shape in ((1, filters), (filters, 1))]
        expect_known(expect_gradient, grads[name], numeric[name], f"{what}: grads['{name}']", mistakes, batch=len(y))

    expect_given(lambda: expect_every([lambda name=name: check(name) for name in params]),
                 lambda: faults_given(student, ref, 'cnn_loss_and_grads',
                                      lambda: ref.cnn_loss_and_grads(X, y, params, reg)[1], grads,
                                      f'the grads of {what}'),
                 f'the grads of {what}')


@pytest.mark.points(0.5, 'cnn_predict')
def test_cnn_predict_on_a_random_network(student, rng):
    """cnn_predict matches the reference's labels"""
    # A random network can send every image to one class, and then a constant answer would
    # pass: draw until the labels take at least 3 of the 4 values.
    X, _, params = network(rng, 20, 3, (2, 4, 6), 3, 5, 4)
    while len(np.unique(ref.cnn_predict(X, params))) < 3:
        X, _, params = network(rng, 20, 3, (2, 4, 6), 3, 5, 4)
    got = expect_labels(student.cnn.cnn_predict(X, params), 20, 4, f'cnn_predict(X, params) for X {X.shape}')
    expect_result_given(student, ref, 'cnn_predict', lambda: ref.cnn_predict(X, params), got.astype(float),
                        f'cnn_predict(X, params) for X {X.shape}')


@pytest.mark.points(1.0, 'cnn_fit')
def test_cnn_fit_follows_the_contract(student, rng):
    """cnn_fit: reshuffled minibatches over several epochs follow the momentum update from your own init_cnn"""
    X, y = rng.standard_normal((7, 2, 4, 6)), labels(rng, 7, 3)
    fit = {'num_filters': 2, 'filter_size': 3, 'hidden_dim': 4, 'epsilon': float(rng.uniform(0.02, 0.2)),
           'momentum': float(rng.uniform(0.5, 0.95)), 'reg_lambda': float(rng.uniform(0.0, 0.1)),
           'num_epochs': int(rng.integers(2, 4)), 'batch_size': 3, 'seed': int(rng.integers(1000))}
    shapes = cnn_shapes(X.shape[1:], fit['num_filters'], fit['filter_size'], fit['hidden_dim'], 3)
    params0 = contract_params(student.cnn.init_cnn(X.shape[1:], 2, 3, 4, 3, seed=fit['seed']), shapes,
                              f'init_cnn({X.shape[1:]}, 2, 3, 4, 3, seed={fit["seed"]})')
    reg = fit['reg_lambda']
    got = student.cnn.cnn_fit(X, y, **fit)
    shown = ', '.join(f'{key}={value:.3g}' if isinstance(value, float) else f'{key}={value}'
                      for key, value in fit.items())
    expect_cnn_fit(got, params0, lambda Xb, yb, p: ref.cnn_loss_and_grads(Xb, yb, p, reg), X, y, fit,
                   f'cnn_fit(X, y, {shown}) on {len(X)} images {X.shape[1:]}',
                   own_step=lambda Xb, yb, p: student.cnn.cnn_loss_and_grads(Xb, yb, p, reg),
                   update=own_update(lambda *step: student.two_layer.momentum_step(*step), fit['epsilon'],
                                     fit['momentum']))


@pytest.mark.points(1.2, 'cnn_fit')
@pytest.mark.training
def test_cnn_fit_learns_the_digit_images(student, grading_seed):
    """cnn_fit learns the 8x8 digit images: held-out accuracy of 8 filters of 3 x 3 and 64 hidden units"""
    expect_accuracy('cnn digits', student, grading_seed % THRESHOLDS['cnn digits']['seeds'], predict=ref.cnn_predict)
