"""Numerical gradients by centered differences, and the relative error used to judge them.

Conventions of CS231n's gradient_check: float64, h = 1e-5, and the elementwise
relative error max |a - b| / max(1e-8, |a| + |b|). Around 1e-7 or below means the
analytic gradient is right; above 1e-2 it is wrong.
"""

import numpy as np

H = 1e-5


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


def relative_error(analytic, numeric):
    """max |a - b| / max(1e-8, |a| + |b|) over all entries; 0.0 for empty arrays."""
    a = np.asarray(analytic, dtype=np.float64)
    b = np.asarray(numeric, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
