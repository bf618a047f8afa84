"""Part 1: activation functions and their derivatives.

Every function works elementwise on an array of any shape and returns a float
array of the same shape.
"""

import numpy as np


def relu(x):
    """Rectified linear unit.

    Inputs:
    - x: array of any shape

    Returns:
    - max(x, 0) elementwise, same shape as x
    """
    # TODO: Return max(x, 0) entry by entry, as a float array of the shape of x.
    #   numpy has an elementwise maximum that broadcasts a scalar.
    # END TODO
    raise NotImplementedError


def gradRelu(x):
    """Derivative of relu.

    Inputs:
    - x: array of any shape

    Returns:
    - float array, same shape as x: 1.0 where x > 0, else 0.0 (0.0 at exactly 0)
    """
    # TODO: Return 1.0 where x > 0 and 0.0 elsewhere, also at exactly 0.
    #   A comparison gives booleans: turn them into floats.
    # END TODO
    raise NotImplementedError


def sigmoid(x):
    """Logistic sigmoid, 1 / (1 + exp(-x)), without overflow.

    Inputs:
    - x: array of any shape

    Returns:
    - sigmoid(x) elementwise, same shape as x; finite for any finite x
    """
    # TODO: Compute 1 / (1 + exp(-x)) without ever exponentiating a large positive number:
    #   for x < 0, exp(-x) overflows. Rewrite the formula for negative x so that only
    #   exp(-|x|), which lies in (0, 1], is needed (see "Numerical stability" in the handout).
    # END TODO
    raise NotImplementedError


def tanh(x):
    """Hyperbolic tangent.

    Inputs:
    - x: array of any shape

    Returns:
    - tanh(x) elementwise, same shape as x
    """
    # TODO: Return the hyperbolic tangent of every entry; it must stay finite for |x| up to 1000,
    #   which a ratio of exponentials does not.
    # END TODO
    raise NotImplementedError


def actFun(z, type):
    """Apply the activation named by `type`.

    Inputs:
    - z: pre-activations, array of any shape, e.g. (N, H)
    - type: 'tanh', 'sigmoid' or 'relu'

    Returns:
    - the activation of z, same shape as z

    Raises:
    - ValueError for any other type
    """
    # TODO: Apply the activation that `type` names ('tanh', 'sigmoid' or 'relu') using the
    #   functions above; for any other name raise ValueError with a helpful message.
    # END TODO
    raise NotImplementedError


def diff_actFun(z, type):
    """Derivative of actFun(z, type) with respect to z.

    Inputs:
    - z: pre-activations, array of any shape, e.g. (N, H)
    - type: 'tanh', 'sigmoid' or 'relu'

    Returns:
    - d actFun(z, type) / dz elementwise, same shape as z

    Raises:
    - ValueError for any other type
    """
    # TODO: Return the derivative of actFun(z, type) at the pre-activation z. Write each
    #   derivative in terms of the activation itself (see "Activation derivatives"), and
    #   raise ValueError for an unknown type, as actFun does.
    # END TODO
    raise NotImplementedError
