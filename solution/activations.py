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
    # BEGIN SOLUTION: return max(x, 0) elementwise (np.maximum)
    return np.maximum(x, 0.0)
    # END SOLUTION


def gradRelu(x):
    """Derivative of relu.

    Inputs:
    - x: array of any shape

    Returns:
    - float array, same shape as x: 1.0 where x > 0, else 0.0 (0.0 at exactly 0)
    """
    # BEGIN SOLUTION: return 1.0 where x > 0 and 0.0 elsewhere, as a float array
    return (x > 0).astype(np.float64)
    # END SOLUTION


def sigmoid(x):
    """Logistic sigmoid, 1 / (1 + exp(-x)), without overflow.

    Inputs:
    - x: array of any shape

    Returns:
    - sigmoid(x) elementwise, same shape as x; finite for any finite x
    """
    # BEGIN SOLUTION: return 1 / (1 + exp(-x)) without letting exp overflow for x << 0
    # exp(-|x|) lies in (0, 1], so neither branch can overflow.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    # END SOLUTION


def tanh(x):
    """Hyperbolic tangent.

    Inputs:
    - x: array of any shape

    Returns:
    - tanh(x) elementwise, same shape as x
    """
    # BEGIN SOLUTION: return the hyperbolic tangent of x elementwise
    return np.tanh(x)
    # END SOLUTION


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
    # BEGIN SOLUTION: dispatch on type to tanh, sigmoid or relu; raise ValueError otherwise
    if type == 'tanh':
        return tanh(z)
    if type == 'sigmoid':
        return sigmoid(z)
    if type == 'relu':
        return relu(z)
    raise ValueError(f"unknown activation {type!r}: expected 'tanh', 'sigmoid' or 'relu'")
    # END SOLUTION


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
    # BEGIN SOLUTION: tanh' = 1 - tanh^2, sigmoid' = s (1 - s), relu' = gradRelu; ValueError otherwise
    if type == 'tanh':
        return 1.0 - tanh(z) ** 2
    if type == 'sigmoid':
        s = sigmoid(z)
        return s * (1.0 - s)
    if type == 'relu':
        return gradRelu(z)
    raise ValueError(f"unknown activation {type!r}: expected 'tanh', 'sigmoid' or 'relu'")
    # END SOLUTION
