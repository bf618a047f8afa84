"""The minibatch schedule of cnn_fit and mlp_fit, and the wrong ones students draw.

The contract: a generator of its own, rng = np.random.default_rng(seed), draws
order = rng.permutation(N) at the start of every epoch; the batches are consecutive slices of
order, batch_size samples each (the last one of an epoch may be smaller); one step per batch.
Both fits are replayed by the grader with these batches (cnn_fits.py, mlp_checks.py and the
hidden suite's mlp_training.py); this module is the one place they are drawn.
"""

import math

import numpy as np

SCHEDULE = ('a second generator rng = np.random.default_rng(seed) draws order = rng.permutation(N) at the start of '
            'every epoch; each step takes the next batch_size samples of order (the last batch of an epoch may be '
            'smaller)')

# The orders students draw the batches in, other than the contract's, and what is wrong with them.
SCHEDULES = {
    'one permutation': ('the batches are not reshuffled: every epoch uses the order drawn for the first; '
                        'draw order = rng.permutation(N) at the start of every epoch'),
    'init generator': ('the batches are shuffled by the generator that drew the initial weights; the contract '
                       'shuffles with a second generator, np.random.default_rng(seed), made for that alone'),
    'unshuffled': ('the batches are not shuffled: they take the samples in their given order; draw '
                   'order = rng.permutation(N) from np.random.default_rng(seed) at the start of every epoch'),
    'legacy': ('the batches are shuffled by the legacy np.random.seed and np.random.permutation, which draw other '
               'numbers: use rng = np.random.default_rng(seed), then rng.permutation(N)'),
    'cumulative': ('one index array is shuffled in place every epoch, so each epoch shuffles the last epoch\'s '
                   'order again; the contract draws a fresh order = rng.permutation(N) every epoch'),
}
MOMENTUM_IGNORED = ('the momentum is ignored: v = momentum * v - epsilon * grad carries the old velocity over, '
                    'then p = p + v')


def epoch_orders(n, epochs, seed, schedule='contract', weight_shapes=()):
    """The order of the N samples in every epoch, [(N,) index array] * epochs.

    Inputs:
    - n, epochs, seed: N, num_epochs and the seed of the fit
    - schedule: 'contract' or a key of SCHEDULES
    - weight_shapes: the shapes of the weights the init draws, in order, that the
      'init generator' draws before its first permutation
    """
    if schedule == 'unshuffled':
        return [np.arange(n)] * epochs
    if schedule == 'legacy':
        legacy = np.random.RandomState(seed)
        return [legacy.permutation(n) for _ in range(epochs)]
    shuffler = np.random.default_rng(seed)
    if schedule == 'init generator':
        for shape in weight_shapes:
            shuffler.standard_normal(shape)
    if schedule == 'one permutation':
        return [shuffler.permutation(n)] * epochs
    orders = [shuffler.permutation(n) for _ in range(epochs)]
    if schedule == 'cumulative':
        for epoch in range(1, epochs):
            orders[epoch] = orders[epoch - 1][orders[epoch]]
    return orders


def epoch_batches(order, batch_size):
    """The sample indices of each step of one epoch: consecutive slices of its order."""
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def batches(orders, batch_size):
    """The sample indices of every step of a fit, in order."""
    return [batch for order in orders for batch in epoch_batches(order, batch_size)]


def step_count(n, fit):
    """The number of steps, and of losses, of a fit on N samples: num_epochs * ceil(N / batch_size)."""
    return fit['num_epochs'] * math.ceil(n / fit['batch_size'])
