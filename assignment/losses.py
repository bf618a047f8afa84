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
    raise NotImplementedError("subtract each row's max before exp (softmax is shift-invariant), then normalise rows")


def averageCE(target, prediction):
    """Average cross-entropy over the batch.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: class probabilities, (N, C)

    Returns:
    - float: -(1/N) * sum_n sum_c target[n, c] * log(prediction[n, c]); finite when
      prediction is exactly 0 where target is 0
    """
    raise NotImplementedError('-(1/N) sum target * log(prediction), taking logs only where target > 0')


def gradCE(target, prediction):
    """Gradient of averageCE(target, softmax(o)) with respect to the logits o.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: softmax(o), (N, C)

    Returns:
    - dLoss/do, (N, C)
    """
    raise NotImplementedError('(prediction - target) / N')
