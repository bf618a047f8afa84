"""Part 7, hidden: dropout and batch normalisation on random inputs, their backward passes
against centered differences of the reference's forward passes."""

import numpy as np
import pytest

from grader.engine.checks import expect_array, expect_every, expect_gradient
from grader.engine.gradcheck import numerical_gradient, numerical_gradients
from grader.suites.hidden.mlp_mistakes import (batchnorm_backward_mistakes, batchnorm_forward_mistakes,
                                        batchnorm_inference_mistakes, dropout_backward_mistakes,
                                        dropout_forward_mistakes)
from grader.suites.public.mlp_checks import expect_tuple
from solution import mlp as ref


@pytest.mark.points(0.5, 'dropout_forward')
def test_dropout_forward_on_random_inputs(student, rng):
    """dropout_forward: masks of random seeds compared exactly, for several shapes and keep_prob, 1 included"""
    for shape, keep_prob in (((6, 9), 0.5), ((1, 4), 0.9), ((20, 3), 0.25), ((5, 5), 1.0)):
        x, seed = rng.standard_normal(shape), int(rng.integers(10_000))
        what = f'dropout_forward(x of shape {shape}, {keep_prob}, {seed})'
        out, mask = expect_tuple(student.mlp.dropout_forward(x, keep_prob, seed), ('out', 'mask'), what)
        want_out, want_mask = ref.dropout_forward(x, keep_prob, seed)
        wrong = dropout_forward_mistakes(x, keep_prob, seed)
        expect_every([lambda: expect_array(mask, want_mask, f'{what}: mask', rtol=0, atol=0,
                                           known_mistakes=wrong['mask']),
                      lambda: expect_array(out, want_out, f'{what}: out', known_mistakes=wrong['out'])])


@pytest.mark.points(0.4, 'dropout_backward')
def test_dropout_backward_gradient_check(student, rng):
    """dropout_backward passes the numerical gradient check of the reference's dropout_forward"""
    for shape, keep_prob in (((5, 4), 0.6), ((3, 7), 0.3)):
        x, dout, seed = rng.standard_normal(shape), rng.standard_normal(shape), int(rng.integers(10_000))
        mask = ref.dropout_forward(x, keep_prob, seed)[1]
        numeric = numerical_gradient(lambda: float(np.sum(ref.dropout_forward(x, keep_prob, seed)[0] * dout)), x)
        expect_gradient(student.mlp.dropout_backward(dout, mask, keep_prob), numeric,
                        f'dropout_backward(dout, mask, {keep_prob}) for a mask of shape {shape}',
                        known_mistakes=dropout_backward_mistakes(dout, mask, keep_prob))


def bn_case(rng, n, d):
    """x (n, d) with columns off mean 0 and variance 1; gamma, beta, dout; running statistics unlike the batch's."""
    return {'x': rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, (1, d)) + rng.uniform(-2, 2, (1, d)),
            'gamma': 1.0 + 0.5 * rng.standard_normal((1, d)), 'beta': 0.5 * rng.standard_normal((1, d)),
            'dout': rng.standard_normal((n, d)), 'running_mean': rng.standard_normal((1, d)),
            'running_var': rng.uniform(0.3, 3.0, (1, d))}


@pytest.mark.points(0.6, 'batchnorm_forward')
def test_batchnorm_forward_on_random_inputs(student, rng):
    """batchnorm_forward matches the reference for batches of 1, 2 and 16 samples"""
    for n, d in ((2, 3), (16, 5), (1, 4)):
        c = bn_case(rng, n, d)
        what = f'batchnorm_forward(x of shape {(n, d)}, gamma, beta)'
        got = expect_tuple(student.mlp.batchnorm_forward(c['x'], c['gamma'], c['beta']), ('out', 'mean', 'var'), what)
        want = ref.batchnorm_forward(c['x'], c['gamma'], c['beta'])
        wrong = batchnorm_forward_mistakes(c['x'], c['gamma'], c['beta'])
        expect_every([lambda name=name, value=value, right=right: expect_array(
            value, right, f'{what}: {name}', known_mistakes=wrong.get(name, ()))
            for name, value, right in zip(('out', 'mean', 'var'), got, want)])


@pytest.mark.points(1.0, 'batchnorm_backward')
def test_batchnorm_backward_gradient_check(student, rng):
    """batchnorm_backward passes the numerical gradient check of the reference's batchnorm_forward"""
    for n, d in ((3, 3), (5, 4), (16, 2)):
        c = bn_case(rng, n, d)
        x, gamma, beta, dout = c['x'], c['gamma'], c['beta'], c['dout']
        what = f'batchnorm_backward(dout, x, gamma, beta) for x of shape {(n, d)}'
        got = expect_tuple(student.mlp.batchnorm_backward(dout, x, gamma, beta), ('dx', 'dgamma', 'dbeta'), what)
        numeric = numerical_gradients(lambda: float(np.sum(ref.batchnorm_forward(x, gamma, beta)[0] * dout)),
                                      {'dx': x, 'dgamma': gamma, 'dbeta': beta})
        wrong = {'dx': batchnorm_backward_mistakes(dout, x, gamma)}
        expect_every([lambda name=name, value=value: expect_gradient(value, numeric[name], f'{what}: {name}',
                                                                     known_mistakes=wrong.get(name, ()))
                      for name, value in zip(('dx', 'dgamma', 'dbeta'), got)])


@pytest.mark.points(0.4, 'batchnorm_inference')
def test_batchnorm_inference_on_random_inputs(student, rng):
    """batchnorm_inference matches the reference, with running statistics unlike the batch's"""
    for n, d in ((7, 3), (1, 5)):
        c = bn_case(rng, n, d)
        args = (c['x'], c['gamma'], c['beta'], c['running_mean'], c['running_var'])
        expect_array(student.mlp.batchnorm_inference(*args), ref.batchnorm_inference(*args),
                     f'batchnorm_inference(x of shape {(n, d)}, gamma, beta, running_mean, running_var)',
                     known_mistakes=batchnorm_inference_mistakes(*args))
