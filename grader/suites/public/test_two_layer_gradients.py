"""Part 3, public: the hand-derived gradients on a fixed ReLU network."""

import pytest

from grader.engine.checks import expect_array, expect_given, follows_known

from .cases import part_a
from .expectations import expected, mistakes

BATCH, CLASSES = 4, 3


def _hidden_args(net):
    return net['target'], expected('part_a_prediction'), net['W_o'], net['x'], net['W_h'], net['b_h']


def expect_gradient_given(student, name, got, what, known_mistakes=()):
    """Check the submission's dL_d<name> on part_a against the right answer or, when it is wrong,
    against what follows from a known mistake of the gradCE, gradRelu or compute it is built on,
    when the submission's own function makes that mistake."""
    net = part_a()
    own = {'gradCE': lambda: student.losses.gradCE(net['target'], expected('part_a_prediction')),
           'gradRelu': lambda: student.activations.gradRelu(expected('compute')),
           'compute': lambda: student.two_layer.compute(net['x'], net['W_h'], net['b_h'])}
    variants = [{'fault': variant['fault'], 'wrong': variant['wrong'], 'result': variant[f'dL_d{name}']}
                for variant in expected('part_a_given').values()]
    expect_given(lambda: expect_array(got, expected(f'dL_d{name}'), what, batch=BATCH, classes=CLASSES,
                                      known_mistakes=known_mistakes),
                 lambda: follows_known(got, own, variants), what)


@pytest.mark.points(0.6, 'compute')
def test_compute(student):
    """compute is x @ W + b"""
    net = part_a()
    expect_array(student.two_layer.compute(net['x'], net['W_h'], net['b_h']), expected('compute'),
                 'compute(x, W, b)')


@pytest.mark.points(1.2, 'dL_dW_o')
def test_dL_dW_o(student):
    """dL_dW_o on a fixed network"""
    net, prediction = part_a(), expected('part_a_prediction')
    got = student.two_layer.dL_dW_o(net['target'], prediction, expected('part_a_hidden'))
    expect_gradient_given(student, 'W_o', got, 'dL_dW_o(target, prediction, h)')


@pytest.mark.points(0.6, 'dL_db_o')
def test_dL_db_o(student):
    """dL_db_o on a fixed network"""
    net, prediction = part_a(), expected('part_a_prediction')
    expect_gradient_given(student, 'b_o', student.two_layer.dL_db_o(net['target'], prediction),
                          'dL_db_o(target, prediction)')


@pytest.mark.points(1.2, 'dL_dW_h')
def test_dL_dW_h(student):
    """dL_dW_h on a fixed network"""
    expect_gradient_given(student, 'W_h', student.two_layer.dL_dW_h(*_hidden_args(part_a())),
                          'dL_dW_h(target, prediction, W_o, x, W_h, b_h)', known_mistakes=mistakes('dL_dW_h'))


@pytest.mark.points(0.6, 'dL_db_h')
def test_dL_db_h(student):
    """dL_db_h on a fixed network"""
    expect_gradient_given(student, 'b_h', student.two_layer.dL_db_h(*_hidden_args(part_a())),
                          'dL_db_h(target, prediction, W_o, x, W_h, b_h)', known_mistakes=mistakes('dL_db_h'))
