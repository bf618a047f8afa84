"""Least squares, hidden: random problems against the reference."""

import pytest

from grader.engine.checks import expect_array
from tests.least_squares.solution import regression as ref


@pytest.mark.points(3, 'fit_weights')
def test_fit_weights_with_a_ridge_penalty(student, rng):
    """fit_weights matches the reference on random data, with a ridge penalty"""
    X, y, reg = rng.standard_normal((20, 4)), rng.standard_normal(20), float(rng.uniform(0.1, 2.0))
    expect_array(student.regression.fit_weights(X, y, reg), ref.fit_weights(X, y, reg), 'fit_weights(X, y, reg)',
                 rtol=1e-8)


@pytest.mark.points(2, 'predict')
def test_predict_on_random_inputs(student, rng):
    """predict matches the reference on random inputs"""
    X, w = rng.standard_normal((7, 3)), rng.standard_normal(3)
    expect_array(student.regression.predict(X, w), ref.predict(X, w), 'predict(X, w)')
