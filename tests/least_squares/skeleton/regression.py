"""Least-squares regression with an optional ridge penalty.

X: (N, D) inputs, y: (N,) targets, w: (D,) weights.
"""

import numpy as np


def fit_weights(X, y, reg=0.0):
    """The weights that minimise ||X w - y||^2 + reg * ||w||^2.

    Inputs:
    - X: (N, D)
    - y: (N,)
    - reg: ridge strength, >= 0

    Returns:
    - w: (D,)
    """
    # TODO: Set the gradient of the objective to zero and solve the linear system
    #   you get; np.linalg.solve is steadier than an explicit inverse.
    # END TODO
    raise NotImplementedError


def predict(X, w):
    """Predictions of a linear model.

    Inputs:
    - X: (N, D)
    - w: (D,)

    Returns:
    - (N,) predictions
    """
    # TODO: One prediction per row of X.
    # END TODO
    raise NotImplementedError
