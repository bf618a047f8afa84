"""Part 3, hidden: the hand-derived gradients against centered differences of the reference loss."""

import pytest

from grader.engine.checks import expect_array, expect_every, expect_given, expect_gradient
from grader.engine.gradcheck import numerical_gradients
from grader.suites.hidden.given import faults_given
from grader.suites.hidden.mistakes import hidden_layer_mistakes
from solution import activations, losses, two_layer as ref

from .nets import part_a

SHAPES = [(7, 3, 5, 2), (6, 4, 6, 10)]   # (N, D, H, C)


def checked(rng, shape):
    """A random network, the reference's forward pass on it, and the numerical gradients."""
    net = part_a(rng, *shape)
    h = activations.relu(ref.compute(net['x'], net['W_h'], net['b_h']))
    prediction = losses.softmax(ref.compute(h, net['W_o'], net['b_o']))

    def loss():
        hidden = activations.relu(ref.compute(net['x'], net['W_h'], net['b_h']))
        return losses.averageCE(net['target'], losses.softmax(ref.compute(hidden, net['W_o'], net['b_o'])))

    numeric = numerical_gradients(loss, {k: net[k] for k in ('W_h', 'b_h', 'W_o', 'b_o')})
    return net, h, prediction, numeric


def label(shape):
    return 'N={}, D={}, H={}, C={}'.format(*shape)


def expect_gradient_given(student, name, args, numeric, what, batch, known_mistakes=()):
    """Check the submission's dL_d<name>(*args) against the numerical gradient or, when it fails,
    against the reference's derivation run on the submission's own gradCE, gradRelu and compute."""
    got = getattr(student.two_layer, f'dL_d{name}')(*args)
    expect_given(lambda: expect_gradient(got, numeric, what, batch=batch, known_mistakes=known_mistakes),
                 lambda: faults_given(student, ref, f'dL_d{name}', lambda: getattr(ref, f'dL_d{name}')(*args), got,
                                      what),
                 what)


@pytest.mark.points(0.6, 'compute')
def test_compute_on_random_inputs(student, rng):
    """compute matches x @ W + b on random inputs"""
    x, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    expect_array(student.two_layer.compute(x, W, b), ref.compute(x, W, b), 'compute(x, W, b)',
                 known_mistakes=[(x @ W, 'the bias b is not added')])


@pytest.mark.points(1.8, 'dL_dW_o')
def test_dL_dW_o(student, rng):
    """dL_dW_o passes the numerical gradient check, C = 2 and C = 10"""
    def check(shape):
        net, h, prediction, numeric = checked(rng, shape)
        expect_gradient_given(student, 'W_o', (net['target'], prediction, h), numeric['W_o'],
                              f'dL_dW_o(target, prediction, h), {label(shape)}', batch=shape[0],
                              known_mistakes=[((prediction - net['target']).T @ h, 'the product is the wrong way '
                                               'round: h^T (N, H)^T times dLoss/do (N, C)')])

    expect_every([lambda shape=shape: check(shape) for shape in SHAPES])


@pytest.mark.points(1.2, 'dL_db_o')
def test_dL_db_o(student, rng):
    """dL_db_o passes the numerical gradient check, C = 2 and C = 10"""
    def check(shape):
        net, _, prediction, numeric = checked(rng, shape)
        expect_gradient_given(student, 'b_o', (net['target'], prediction), numeric['b_o'],
                              f'dL_db_o(target, prediction), {label(shape)}', batch=shape[0])

    expect_every([lambda shape=shape: check(shape) for shape in SHAPES])


@pytest.mark.points(2.4, 'dL_dW_h')
def test_dL_dW_h(student, rng):
    """dL_dW_h passes the numerical gradient check, C = 2 and C = 10"""
    def check(shape):
        net, h, prediction, numeric = checked(rng, shape)
        args = (net['target'], prediction, net['W_o'], net['x'], net['W_h'], net['b_h'])
        expect_gradient_given(student, 'W_h', args, numeric['W_h'],
                              f'dL_dW_h(target, prediction, W_o, x, W_h, b_h), {label(shape)}', batch=shape[0],
                              known_mistakes=hidden_layer_mistakes(*args)['W_h'])

    expect_every([lambda shape=shape: check(shape) for shape in SHAPES])


@pytest.mark.points(1.2, 'dL_db_h')
def test_dL_db_h(student, rng):
    """dL_db_h passes the numerical gradient check, C = 2 and C = 10"""
    def check(shape):
        net, _, prediction, numeric = checked(rng, shape)
        args = (net['target'], prediction, net['W_o'], net['x'], net['W_h'], net['b_h'])
        expect_gradient_given(student, 'b_h', args, numeric['b_h'],
                              f'dL_db_h(target, prediction, W_o, x, W_h, b_h), {label(shape)}', batch=shape[0],
                              known_mistakes=hidden_layer_mistakes(*args)['b_h'])

    expect_every([lambda shape=shape: check(shape) for shape in SHAPES])


ONE_SAMPLE = (1, 3, 4, 3)


@pytest.mark.parametrize('name', [pytest.param(name, marks=pytest.mark.points(0.15, f'dL_d{name}'))
                                  for name in ('W_o', 'b_o', 'W_h', 'b_h')])
def test_gradient_for_a_batch_of_one(student, rng, name):
    """the gradient for a batch of one sample"""
    net, h, prediction, numeric = checked(rng, ONE_SAMPLE)
    args = (net['target'], prediction, net['W_o'], net['x'], net['W_h'], net['b_h'])
    arguments = {'W_o': (net['target'], prediction, h), 'b_o': (net['target'], prediction)}.get(name, args)
    expect_gradient_given(student, name, arguments, numeric[name], f'dL_d{name} for one sample, {label(ONE_SAMPLE)}',
                          batch=1, known_mistakes=hidden_layer_mistakes(*args).get(name, []))
