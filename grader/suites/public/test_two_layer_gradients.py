"""Part 3, public: the hand-derived gradients on a fixed ReLU network."""

import pytest

from grader.engine.checks import expect_array

from .cases import part_a
from .expectations import expected, mistakes

BATCH, CLASSES = 4, 3


def _hidden_args(net):
    return net['target'], expected('part_a_prediction'), net['W_o'], net['x'], net['W_h'], net['b_h']


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
    expect_array(student.two_layer.dL_dW_o(net['target'], prediction, expected('part_a_hidden')), expected('dL_dW_o'),
                 'dL_dW_o(target, prediction, h)', batch=BATCH, classes=CLASSES)


@pytest.mark.points(0.6, 'dL_db_o')
def test_dL_db_o(student):
    """dL_db_o on a fixed network"""
    net, prediction = part_a(), expected('part_a_prediction')
    expect_array(student.two_layer.dL_db_o(net['target'], prediction), expected('dL_db_o'),
                 'dL_db_o(target, prediction)', batch=BATCH, classes=CLASSES)


@pytest.mark.points(1.2, 'dL_dW_h')
def test_dL_dW_h(student):
    """dL_dW_h on a fixed network"""
    expect_array(student.two_layer.dL_dW_h(*_hidden_args(part_a())), expected('dL_dW_h'),
                 'dL_dW_h(target, prediction, W_o, x, W_h, b_h)', batch=BATCH, classes=CLASSES,
                 known_mistakes=mistakes('dL_dW_h'))


@pytest.mark.points(0.6, 'dL_db_h')
def test_dL_db_h(student):
    """dL_db_h on a fixed network"""
    expect_array(student.two_layer.dL_db_h(*_hidden_args(part_a())), expected('dL_db_h'),
                 'dL_db_h(target, prediction, W_o, x, W_h, b_h)', batch=BATCH, classes=CLASSES,
                 known_mistakes=mistakes('dL_db_h'))
