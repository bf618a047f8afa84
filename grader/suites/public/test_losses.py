"""Part 2, public: softmax and cross-entropy on fixed inputs and at the edges."""

import pytest

from grader.engine.checks import expect_array, expect_gradient, expect_probabilities, expect_scalar

from .cases import HUGE_LOGITS, LOGITS, PREDICTION, PREDICTION_WITH_ZEROS, TARGET
from .expectations import expected, mistakes


@pytest.mark.points(1.2, 'softmax')
def test_softmax(student):
    """softmax turns each row of logits into probabilities"""
    got = student.losses.softmax(LOGITS)
    expect_probabilities(got, 'softmax(x)')
    expect_array(got, expected('softmax'), 'softmax(x)', classes=2)


@pytest.mark.points(1.2, 'softmax')
def test_softmax_of_huge_logits(student):
    """softmax stays finite and right for logits of magnitude 1e4"""
    expect_array(student.losses.softmax(HUGE_LOGITS), expected('softmax_huge'), 'softmax(x) for logits up to 1e4',
                 stability_hint='exp(1e4) overflows; softmax(x) = softmax(x - max of the row), '
                                'so subtract each row\'s max first')


@pytest.mark.points(0.6, 'averageCE')
def test_averageCE(student):
    """averageCE is the mean over samples of -sum(target * log(prediction))"""
    expect_scalar(student.losses.averageCE(TARGET, PREDICTION), expected('averageCE'), 'averageCE(target, prediction)',
                  batch=2, classes=3, known_mistakes=mistakes('averageCE'))


@pytest.mark.points(0.6, 'averageCE')
def test_averageCE_with_exact_zeros(student):
    """averageCE is finite when a non-target probability is exactly 0"""
    expect_scalar(student.losses.averageCE(TARGET, PREDICTION_WITH_ZEROS), expected('averageCE_with_zeros'),
                  'averageCE(target, prediction) with zeros where target is 0', batch=2, classes=3,
                  known_mistakes=mistakes('averageCE_with_zeros'))


@pytest.mark.points(0.6, 'gradCE')
def test_gradCE(student):
    """gradCE is (prediction - target) / N"""
    expect_array(student.losses.gradCE(TARGET, PREDICTION), expected('gradCE'), 'gradCE(target, prediction)',
                 batch=2, classes=3, known_mistakes=mistakes('gradCE'))


@pytest.mark.points(0.6, 'gradCE')
def test_gradCE_is_the_gradient_at_the_logits(student):
    """gradCE agrees with centered differences of averageCE(target, softmax(o)) at the logits o"""
    expect_gradient(student.losses.gradCE(TARGET, expected('gradCE_at_logits_prediction')),
                    expected('gradCE_at_logits'),
                    'gradCE(target, softmax(o)), the gradient of averageCE(target, softmax(o)) with respect to o',
                    batch=2, known_mistakes=mistakes('gradCE_at_logits'))
