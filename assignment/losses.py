"""Part 2: softmax and the average cross-entropy.

`target` is one-hot, (N, C); `prediction` holds class probabilities, (N, C), each
row summing to 1.
"""

import numpy as np


def softmax(x):
    """Row-wise softmax.

    Inputs:
    - x: logits, (N, C)

    Returns:
    - probabilities, (N, C); every row sums to 1. Finite for logits as large as 1e4.
    """
    # TODO: Exponentiate and normalise each ROW. exp(1e4) overflows: use that softmax does not
    #   change when a constant is subtracted from a row (see "Numerical stability").
    # END TODO
    raise NotImplementedError


def averageCE(target, prediction):
    """Average cross-entropy over the batch.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: class probabilities, (N, C)

    Returns:
    - float: -(1/N) * sum_n sum_c target[n, c] * log(prediction[n, c]); finite when
      prediction is exactly 0 where target is 0
    """
    # TODO: The mean over the N samples of -sum_c target * log(prediction). A term whose target
    #   is 0 adds nothing, and log(0) there would make it nan: take logs only where needed.
    # END TODO
    raise NotImplementedError


def gradCE(target, prediction):
    """Gradient of averageCE(target, softmax(o)) with respect to the logits o.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: softmax(o), (N, C)

    Returns:
    - dLoss/do, (N, C)
    """
    # TODO: The gradient of averageCE(target, softmax(o)) with respect to the logits o, written
    #   with prediction = softmax(o). Derive it first ("Softmax and cross-entropy"): the
    #   softmax Jacobian simplifies a lot. Mind the average over the batch.
    # END TODO
    raise NotImplementedError
