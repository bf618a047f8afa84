"""Part 2, public: softmax and cross-entropy on fixed inputs and at the edges."""

import math

import numpy as np
import pytest

from grader.engine.checks import expect_array, expect_gradient, expect_probabilities, expect_scalar
from grader.engine.gradcheck import numerical_gradient
from grader.suites.mistakes import averageCE_mistakes, gradCE_mistakes

LOGITS = np.array([[0.0, math.log(3.0)], [1.0, 1.0], [2.0, 0.0]])
TARGET = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
PREDICTION = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]])


def softmax_by_hand(x):
    rows = [[math.exp(v - max(row)) for v in row] for row in x.tolist()]
    return np.array([[v / sum(row) for v in row] for row in rows])


def cross_entropy_by_hand(target, prediction):
    return -sum(math.log(p) for t_row, p_row in zip(target.tolist(), prediction.tolist())
                for t, p in zip(t_row, p_row) if t) / len(target)


@pytest.mark.points(1.2, 'softmax')
def test_softmax(student):
    """softmax turns each row of logits into probabilities"""
    got = student.losses.softmax(LOGITS)
    expect_probabilities(got, 'softmax(x)')
    expect_array(got, [[0.25, 0.75], [0.5, 0.5], softmax_by_hand(LOGITS)[2]], 'softmax(x)', classes=2)


@pytest.mark.points(1.2, 'softmax')
def test_softmax_of_huge_logits(student):
    """softmax stays finite and right for logits of magnitude 1e4"""
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4, -1e4]])
    expect_array(student.losses.softmax(x), softmax_by_hand(x), 'softmax(x) for logits up to 1e4',
                 stability_hint='exp(1e4) overflows; softmax(x) = softmax(x - max of the row), '
                                'so subtract each row\'s max first')


@pytest.mark.points(0.6, 'averageCE')
def test_averageCE(student):
    """averageCE is the mean over samples of -sum(target * log(prediction))"""
    expected = -(math.log(0.5) + math.log(0.7)) / 2
    expect_scalar(student.losses.averageCE(TARGET, PREDICTION), expected, 'averageCE(target, prediction)',
                  batch=2, classes=3, known_mistakes=averageCE_mistakes(TARGET, PREDICTION))


@pytest.mark.points(0.6, 'averageCE')
def test_averageCE_with_exact_zeros(student):
    """averageCE is finite when a non-target probability is exactly 0"""
    prediction = np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]])
    expected = -(math.log(0.5) + math.log(0.75)) / 2
    expect_scalar(student.losses.averageCE(TARGET, prediction), expected,
                  'averageCE(target, prediction) with zeros where target is 0', batch=2, classes=3,
                  known_mistakes=averageCE_mistakes(TARGET, prediction))


@pytest.mark.points(0.6, 'gradCE')
def test_gradCE(student):
    """gradCE is (prediction - target) / N"""
    expect_array(student.losses.gradCE(TARGET, PREDICTION), (PREDICTION - TARGET) / 2,
                 'gradCE(target, prediction)', batch=2, classes=3,
                 known_mistakes=gradCE_mistakes(TARGET, PREDICTION))


@pytest.mark.points(0.6, 'gradCE')
def test_gradCE_is_the_gradient_at_the_logits(student):
    """gradCE agrees with centered differences of averageCE(target, softmax(o)) at the logits o"""
    o = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])
    numeric = numerical_gradient(lambda: cross_entropy_by_hand(TARGET, softmax_by_hand(o)), o)
    prediction = softmax_by_hand(o)
    expect_gradient(student.losses.gradCE(TARGET, prediction), numeric,
                    'gradCE(target, softmax(o)), the gradient of averageCE(target, softmax(o)) with respect to o',
                    batch=2, known_mistakes=gradCE_mistakes(TARGET, prediction))
