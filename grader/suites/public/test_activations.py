"""Part 1, public: activations on fixed inputs, and derivatives consistent with them."""

import math

import numpy as np
import pytest

from grader.engine.checks import expect_array, expect_raises
from grader.spec import ACTIVATIONS

Z = np.array([[-3.0, -0.5, 0.0], [0.25, 1.0, 4.0]])


def elementwise(function, z):
    return np.vectorize(function)(z)


def logistic(v):
    return 1.0 / (1.0 + math.exp(-v))


FUNCTIONS = {'tanh': math.tanh, 'sigmoid': logistic, 'relu': lambda v: max(v, 0.0)}


@pytest.mark.points(0.6, 'relu')
def test_relu(student):
    """relu is max(x, 0) elementwise"""
    expect_array(student.activations.relu(Z), np.maximum(Z, 0.0), 'relu(z)')


@pytest.mark.points(0.6, 'gradRelu')
def test_gradRelu(student):
    """gradRelu is 1.0 where x > 0 and 0.0 elsewhere, 0.0 at exactly 0"""
    expect_array(student.activations.gradRelu(Z), (Z > 0).astype(float), 'gradRelu(z)')


@pytest.mark.points(0.6, 'sigmoid')
def test_sigmoid(student):
    """sigmoid is 1 / (1 + exp(-x)) elementwise"""
    expect_array(student.activations.sigmoid(Z), elementwise(logistic, Z), 'sigmoid(z)')


@pytest.mark.points(0.6, 'tanh')
def test_tanh(student):
    """tanh is the hyperbolic tangent elementwise"""
    expect_array(student.activations.tanh(Z), elementwise(math.tanh, Z), 'tanh(z)')


@pytest.mark.points(0.6, 'actFun')
def test_actFun_dispatches_on_its_name(student):
    """actFun applies the activation its type names"""
    for act, function in FUNCTIONS.items():
        expect_array(student.activations.actFun(Z, act), elementwise(function, Z), f"actFun(z, '{act}')")


@pytest.mark.points(0.6, 'diff_actFun')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_diff_actFun_is_the_derivative_of_the_activation(student, act):
    """diff_actFun agrees with centered differences of the activation"""
    z = Z + 0.01   # keeps relu's kink at 0 out of the centered difference
    h = 1e-5
    numeric = (elementwise(FUNCTIONS[act], z + h) - elementwise(FUNCTIONS[act], z - h)) / (2 * h)
    expect_array(student.activations.diff_actFun(z, act), numeric, f"diff_actFun(z, '{act}')",
                 rtol=1e-5, atol=1e-8, known_mistakes=[(elementwise(FUNCTIONS[act], z), f'that is {act} itself, '
                                                        'not its derivative')])


@pytest.mark.points(0.3, 'actFun')
def test_actFun_rejects_an_unknown_activation(student):
    """actFun raises ValueError for an unknown activation name"""
    expect_raises(lambda: student.activations.actFun(Z, 'softplus'), 'ValueError', "actFun(z, 'softplus')")


@pytest.mark.points(0.3, 'diff_actFun')
def test_diff_actFun_rejects_an_unknown_activation(student):
    """diff_actFun raises ValueError for an unknown activation name"""
    expect_raises(lambda: student.activations.diff_actFun(Z, 'softplus'), 'ValueError', "diff_actFun(z, 'softplus')")
