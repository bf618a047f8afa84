"""Numerical gradients by centered differences, and the relative error used to judge them.

Conventions of CS231n's gradient_check: float64, h = 1e-5, and the elementwise
relative error |a - b| / max(1e-8, |a| + |b|). Around 1e-7 or below means the analytic
gradient is right; above 1e-2 it is wrong. One change: entries far smaller than the
gradient's largest are judged at that scale (FLOOR), since their centered differences
carry absolute noise (~1e-10) that is large relative to them. The grader's checks and the
project's tests use this one formula.
"""

import numpy as np

H = 1e-5
FLOOR = 1e-3


def numerical_gradient(f, x, h=H):
    """Centered-difference gradient of a scalar function of one array.

    Inputs:
    - f: function of no arguments returning a float; it must read x, which this
      function perturbs in place and restores
    - x: float64 array of any shape
    - h: step

    Returns:
    - df/dx, same shape as x
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        above = f()
        x[index] = saved - h
        below = f()
        x[index] = saved
        grad[index] = (above - below) / (2 * h)
    return grad


def numerical_gradients(f, params, h=H):
    """numerical_gradient for every array of a dict of parameters.

    Inputs:
    - f: function of no arguments returning a float that reads params
    - params: {name: float64 array}

    Returns:
    - {name: df/dparams[name]}
    """
    return {name: numerical_gradient(f, value, h) for name, value in params.items()}


def relative_errors(analytic, numeric, floor=FLOOR):
    """|a - b| / max(|a| + |b|, floor * max|b|, 1e-8), entry by entry, as float64."""
    a = np.asarray(analytic, dtype=np.float64)
    b = np.asarray(numeric, dtype=np.float64)
    scale = max(1e-8, floor * float(np.max(np.abs(b), initial=0.0)))
    return np.abs(a - b) / np.maximum(scale, np.abs(a) + np.abs(b))


def relative_error(analytic, numeric, floor=FLOOR):
    """The largest of relative_errors; 0.0 for empty arrays."""
    return float(np.max(relative_errors(analytic, numeric, floor), initial=0.0))
