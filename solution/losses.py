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
    # BEGIN SOLUTION: subtract each row's max before exp (softmax is shift-invariant), then normalise rows
    # Work on a (C, N) copy, one row per class: numpy reduces across the rows of a
    # contiguous array several times faster than along N rows of only C numbers each.
    classes = np.ascontiguousarray(x.T)
    e = np.exp(classes - np.max(classes, axis=0))
    return (e / np.sum(e, axis=0)).T
    # END SOLUTION


def averageCE(target, prediction):
    """Average cross-entropy over the batch.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: class probabilities, (N, C)

    Returns:
    - float: -(1/N) * sum_n sum_c target[n, c] * log(prediction[n, c]); finite when
      prediction is exactly 0 where target is 0
    """
    # BEGIN SOLUTION: -(1/N) sum target * log(prediction), taking logs only where target > 0
    # Terms with target == 0 contribute nothing; skipping them avoids 0 * log(0) = nan.
    hit = target > 0
    return float(-np.sum(target[hit] * np.log(prediction[hit])) / target.shape[0])
    # END SOLUTION


def gradCE(target, prediction):
    """Gradient of averageCE(target, softmax(o)) with respect to the logits o.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: softmax(o), (N, C)

    Returns:
    - dLoss/do, (N, C)
    """
    # BEGIN SOLUTION: (prediction - target) / N
    return (prediction - target) / target.shape[0]
    # END SOLUTION
