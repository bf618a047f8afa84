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
    raise NotImplementedError('return max(x, 0) elementwise (np.maximum)')


def gradRelu(x):
    """Derivative of relu.

    Inputs:
    - x: array of any shape

    Returns:
    - float array, same shape as x: 1.0 where x > 0, else 0.0 (0.0 at exactly 0)
    """
    raise NotImplementedError('return 1.0 where x > 0 and 0.0 elsewhere, as a float array')


def sigmoid(x):
    """Logistic sigmoid, 1 / (1 + exp(-x)), without overflow.

    Inputs:
    - x: array of any shape

    Returns:
    - sigmoid(x) elementwise, same shape as x; finite for any finite x
    """
    raise NotImplementedError('return 1 / (1 + exp(-x)) without letting exp overflow for x << 0')


def tanh(x):
    """Hyperbolic tangent.

    Inputs:
    - x: array of any shape

    Returns:
    - tanh(x) elementwise, same shape as x
    """
    raise NotImplementedError('return the hyperbolic tangent of x elementwise')


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
    raise NotImplementedError('dispatch on type to tanh, sigmoid or relu; raise ValueError otherwise')


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
    raise NotImplementedError("tanh' = 1 - tanh^2, sigmoid' = s (1 - s), relu' = gradRelu; ValueError otherwise")
