"""Least squares, public: a fixed problem whose answer is known."""

import numpy as np
import pytest

from grader.engine.checks import expect_array

X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
Y = np.array([1.0, 2.0, 3.0])


@pytest.mark.points(3, 'fit_weights')
def test_fit_weights_recovers_exact_weights(student):
    """fit_weights recovers the weights of noiseless data"""
    expect_array(student.regression.fit_weights(X, Y), [1.0, 2.0], 'fit_weights(X, y)')


@pytest.mark.points(2, 'predict')
def test_predict(student):
    """predict is X @ w"""
    expect_array(student.regression.predict(X, np.array([1.0, 2.0])), Y, 'predict(X, w)')
