"""Part 2, hidden: softmax and cross-entropy on random inputs, against the reference."""

import pytest

from grader.engine.checks import expect_array, expect_probabilities, expect_gradient, expect_scalar
from grader.engine.gradcheck import numerical_gradient
from grader.suites.hidden.mistakes import averageCE_mistakes, gradCE_mistakes
from solution import losses as ref

from .nets import labels, one_hot


@pytest.mark.points(0.6, 'softmax')
@pytest.mark.parametrize('classes', [2, 10])
def test_softmax_on_random_logits(student, rng, classes):
    """softmax matches the reference on random logits, some as large as 1e4"""
    x = rng.standard_normal((9, classes)) * 5
    x[0] *= 2000
    got = student.losses.softmax(x)
    expect_probabilities(got, f'softmax(x) for x of shape {x.shape}')
    expect_array(got, ref.softmax(x), f'softmax(x) for x of shape {x.shape}',
                 stability_hint="subtract each row's max before exp", classes=classes)


@pytest.mark.points(0.6, 'softmax')
def test_softmax_of_one_sample(student, rng):
    """softmax of a batch of one"""
    x = rng.standard_normal((1, 5))
    expect_array(student.losses.softmax(x), ref.softmax(x), 'softmax(x) for one sample, x of shape (1, 5)')


@pytest.mark.points(0.6, 'averageCE')
@pytest.mark.parametrize('n, classes', [(8, 10), (1, 3)])
def test_averageCE_on_random_predictions(student, rng, n, classes):
    """averageCE matches the reference, with exact zeros in non-target entries"""
    target = one_hot(labels(rng, n, classes), classes)
    prediction = rng.random((n, classes)) * (rng.random((n, classes)) < 0.6) + target * 0.5
    prediction /= prediction.sum(axis=1, keepdims=True)
    expected = ref.averageCE(target, prediction)
    expect_scalar(student.losses.averageCE(target, prediction), expected,
                  f'averageCE(target, prediction) for N={n}, C={classes}', batch=n, classes=classes,
                  known_mistakes=averageCE_mistakes(target, prediction))


@pytest.mark.points(0.6, 'gradCE')
@pytest.mark.parametrize('n, classes', [(6, 10), (1, 2)])
def test_gradCE_is_the_gradient_at_the_logits(student, rng, n, classes):
    """gradCE agrees with centered differences of the reference loss at the logits"""
    o = rng.standard_normal((n, classes)) * 2
    target = one_hot(labels(rng, n, classes), classes)
    numeric = numerical_gradient(lambda: ref.averageCE(target, ref.softmax(o)), o)
    prediction = ref.softmax(o)
    expect_gradient(student.losses.gradCE(target, prediction), numeric,
                    f'gradCE(target, prediction) for N={n}, C={classes}', batch=n,
                    known_mistakes=gradCE_mistakes(target, prediction))
