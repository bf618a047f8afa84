"""Part 1, hidden: activations on random inputs and at the edges, against the reference."""

import numpy as np
import pytest

from grader.engine.checks import expect_array, expect_every
from grader.spec import ACTIVATIONS
from grader.suites.hidden.given import expect_result_given
from solution import activations as ref


def with_exact_zeros(rng):
    """(7, 5) random inputs, about 30% of them exactly 0."""
    x = rng.standard_normal((7, 5))
    x[rng.random(x.shape) < 0.3] = 0.0
    return x


@pytest.mark.points(0.3, 'relu')
def test_relu_with_exact_zeros(student, rng):
    """relu on random inputs holding exact zeros"""
    x = with_exact_zeros(rng)
    expect_array(student.activations.relu(x), ref.relu(x), 'relu(x) for x with exact zeros')


@pytest.mark.points(0.3, 'gradRelu')
def test_gradRelu_with_exact_zeros(student, rng):
    """gradRelu on random inputs holding exact zeros"""
    x = with_exact_zeros(rng)
    expect_array(student.activations.gradRelu(x), ref.gradRelu(x), 'gradRelu(x) for x with exact zeros',
                 known_mistakes=[((x >= 0).astype(float), 'the derivative at exactly 0 is 0 by convention: use x > 0'),
                                 (ref.relu(x), 'that is relu itself, not its derivative')])


@pytest.mark.points(1.2, 'sigmoid')
def test_sigmoid_is_exact_up_to_1000(student, rng):
    """sigmoid is finite and correct to 1e-12 for abs(x) <= 1000"""
    x = np.concatenate([np.linspace(-1000, 1000, 201), rng.uniform(-40, 40, 100), [-1000.0, 1000.0]])[None, :]
    expect_array(student.activations.sigmoid(x), ref.sigmoid(x), 'sigmoid(x) for x in [-1000, 1000]',
                 rtol=0, atol=1e-12,
                 stability_hint='exp(-x) overflows for x << 0; for negative x use exp(x) / (1 + exp(x))')


@pytest.mark.points(0.6, 'tanh')
def test_tanh_at_1000(student, rng):
    """tanh is finite and right for abs(x) <= 1000"""
    x = np.concatenate([[-1000.0, -400.0, 0.0, 400.0, 1000.0], rng.uniform(-5, 5, 20)])[None, :]
    expect_array(student.activations.tanh(x), ref.tanh(x), 'tanh(x) for x in [-1000, 1000]',
                 rtol=1e-12, atol=1e-15, stability_hint='use np.tanh, or a form that never exponentiates a large number')


@pytest.mark.points(0.6, 'actFun')
def test_actFun_on_random_inputs(student, rng):
    """actFun matches the reference for every activation, float32 inputs included"""
    z = rng.standard_normal((6, 4)) * 3
    expect_every([lambda act=act: expect_result_given(student, ref, 'actFun', lambda: ref.actFun(z, act),
                                                      student.activations.actFun(z, act), f"actFun(z, '{act}')")
                  for act in ACTIVATIONS]
                 + [lambda act=act: expect_result_given(student, ref, 'actFun', lambda: ref.actFun(z, act),
                                                        student.activations.actFun(z.astype(np.float32), act),
                                                        f"actFun(z, '{act}') for float32 z", rtol=1e-5, atol=1e-6)
                    for act in ACTIVATIONS])


@pytest.mark.points(0.6, 'diff_actFun')
def test_diff_actFun_on_random_and_large_inputs(student, rng):
    """diff_actFun matches the reference for every activation, including at abs(z) = 1000"""
    z = np.concatenate([rng.standard_normal(30) * 3, [-1000.0, 1000.0]]).reshape(8, 4)
    itself = {'sigmoid': 'that is sigmoid itself: the derivative of sigmoid is s * (1 - s), not s'}

    def check(act):
        wrong = [(ref.actFun(z, act), itself.get(act, f'that is {act} itself, not its derivative'))]
        if act == 'tanh':
            wrong.append((1 - z ** 2, "tanh' = 1 - tanh(z)**2: square tanh(z), not z"))
        expect_result_given(student, ref, 'diff_actFun', lambda: ref.diff_actFun(z, act),
                            student.activations.diff_actFun(z, act), f"diff_actFun(z, '{act}')", known_mistakes=wrong)

    expect_every([lambda act=act: check(act) for act in ACTIVATIONS])
