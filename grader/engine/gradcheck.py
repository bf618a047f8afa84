"""Numerical gradients by centered differences, and the relative error used to judge them.

Conventions of CS231n's gradient_check: float64, h = 1e-5, and the elementwise
relative error |a - b| / max(1e-8, |a| + |b|). Around 1e-7 or below means the analytic
gradient is right; above 1e-2 it is wrong. Two changes, both for the absolute noise of a
centered difference (float64 rounding of a loss of order 1, divided by 2h: about 1e-11 to
1e-10): entries far smaller than the gradient's largest are judged at that scale (FLOOR),
and no entry at a scale below SMALLEST, where that noise alone exceeds the tolerances
(a correct deep sigmoid network's first-layer gradients of 1e-7 failed 1e-5 that way).
The grader's checks and the project's tests use this one formula.
"""

import numpy as np

H = 1e-5
FLOOR = 1e-3
SMALLEST = 1e-5


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
    """|a - b| / max(|a| + |b|, floor * max|b|, SMALLEST), entry by entry, as float64."""
    a = np.asarray(analytic, dtype=np.float64)
    b = np.asarray(numeric, dtype=np.float64)
    scale = max(SMALLEST, floor * float(np.max(np.abs(b), initial=0.0)))
    return np.abs(a - b) / np.maximum(scale, np.abs(a) + np.abs(b))


def relative_error(analytic, numeric, floor=FLOOR):
    """The largest of relative_errors; 0.0 for empty arrays."""
    return float(np.max(relative_errors(analytic, numeric, floor), initial=0.0))
