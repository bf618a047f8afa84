"""Part 1, public: activations on fixed inputs, and derivatives consistent with them."""

import pytest

from grader.engine.checks import Cases, expect_array, expect_raises
from grader.spec import ACTIVATIONS

from .cases import ACTIVATION_INPUT as Z, DERIVATIVE_INPUT
from .expectations import expected, mistakes
from .relative import expect_built_on


@pytest.mark.points(0.6, 'relu')
def test_relu(student):
    """relu is max(x, 0) elementwise"""
    expect_array(student.activations.relu(Z), expected('relu'), 'relu(z)')


@pytest.mark.points(0.6, 'gradRelu')
def test_gradRelu(student):
    """gradRelu is 1.0 where x > 0 and 0.0 elsewhere, 0.0 at exactly 0"""
    expect_array(student.activations.gradRelu(Z), expected('gradRelu'), 'gradRelu(z)')


@pytest.mark.points(0.6, 'sigmoid')
def test_sigmoid(student):
    """sigmoid is 1 / (1 + exp(-x)) elementwise"""
    expect_array(student.activations.sigmoid(Z), expected('sigmoid'), 'sigmoid(z)')


@pytest.mark.points(0.6, 'tanh')
def test_tanh(student):
    """tanh is the hyperbolic tangent elementwise"""
    expect_array(student.activations.tanh(Z), expected('tanh'), 'tanh(z)')


@pytest.mark.points(0.6, 'actFun')
def test_actFun_dispatches_on_its_name(student):
    """actFun applies the activation its type names"""
    cases = Cases()
    for act in ('tanh', 'sigmoid', 'relu'):
        what, got = f"actFun(z, '{act}')", student.activations.actFun(Z, act)
        with cases:
            expect_built_on(lambda: expect_array(got, expected(act), what), student, 'actFun', (Z, act), got, what)
    cases.expect()


@pytest.mark.points(0.6, 'diff_actFun')
@pytest.mark.parametrize('act', ACTIVATIONS)
def test_diff_actFun_is_the_derivative_of_the_activation(student, act):
    """diff_actFun agrees with centered differences of the activation"""
    what, got = f"diff_actFun(z, '{act}')", student.activations.diff_actFun(DERIVATIVE_INPUT, act)
    expect_built_on(lambda: expect_array(got, expected(f'diff_actFun_{act}'), what, rtol=1e-5, atol=1e-8,
                                         known_mistakes=mistakes(f'diff_actFun_{act}')),
                    student, 'diff_actFun', (DERIVATIVE_INPUT, act), got, what, rtol=1e-5, atol=1e-8)


@pytest.mark.points(0.3, 'actFun')
def test_actFun_rejects_an_unknown_activation(student):
    """actFun raises ValueError for an unknown activation name"""
    expect_raises(lambda: student.activations.actFun(Z, 'softplus'), 'ValueError', "actFun(z, 'softplus')")


@pytest.mark.points(0.3, 'diff_actFun')
def test_diff_actFun_rejects_an_unknown_activation(student):
    """diff_actFun raises ValueError for an unknown activation name"""
    expect_raises(lambda: student.activations.diff_actFun(Z, 'softplus'), 'ValueError', "diff_actFun(z, 'softplus')")
