"""cnn_fit replayed by the grader: the contract's batches, and the wrong ones students draw.

The contract: parameters from init_cnn(X.shape[1:], num_filters, filter_size, hidden_dim,
C, seed), velocities zero; a second generator rng = np.random.default_rng(seed) draws
order = rng.permutation(N) at the start of every epoch; the batches are consecutive
slices of order, batch_size samples each (the last one smaller); one momentum step per
batch; losses[t] is the loss of step t's batch at the parameters step t started from.
"""

import math

import numpy as np

from grader.engine.checks import Mismatch, expect_array
from grader.engine.seam import StudentFailure

from .cnn_mistakes import unambiguous
from .training import contract_params, expect_losses, fit_result, follows_replay, momentum_replay

RULE = ('from your own init_cnn with the same arguments and zero velocities, a second generator '
        'rng = np.random.default_rng(seed) draws order = rng.permutation(N) at the start of every epoch; '
        'each step takes the next batch_size samples of order (the last batch of an epoch may be smaller), '
        'records the loss cnn_loss_and_grads returns for them, then updates v = momentum * v - epsilon * grad '
        'and p = p + v')

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
MOMENTUM_IGNORED = 'the momentum is ignored: v = momentum * v - epsilon * grad carries the old velocity over'


def epoch_orders(n, epochs, seed, schedule='contract', weight_shapes=()):
    """The order of the N samples in every epoch.

    Inputs:
    - n, epochs, seed: N, num_epochs and the seed of cnn_fit
    - schedule: 'contract' or a key of SCHEDULES
    - weight_shapes: the shapes of W1, W2, W3, that the 'init generator' draws first
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


def batches(orders, batch_size):
    """The sample indices of every step, in order."""
    return [order[start:start + batch_size] for order in orders for start in range(0, len(order), batch_size)]


def replay(params0, step, X, y, fit, schedule='contract', momentum=None):
    """(params, losses) of cnn_fit run by the grader with the batches of a schedule.

    Inputs:
    - params0: the initial params
    - step: function (X_batch, y_batch, params) -> (loss, grads)
    - X, y, fit: the data and the keyword arguments of cnn_fit
    - schedule: 'contract' or a key of SCHEDULES
    - momentum: the momentum to use, the fit's when None
    """
    shapes = [np.shape(params0[name]) for name in ('W1', 'W2', 'W3')]
    steps = iter(batches(epoch_orders(len(X), fit['num_epochs'], fit['seed'], schedule, shapes),
                         fit['batch_size']))

    def next_step(params):
        batch = next(steps)
        return step(X[batch], y[batch], params)

    count = step_count(len(X), fit)
    return momentum_replay(params0, next_step, fit['epsilon'], fit['momentum'] if momentum is None else momentum,
                           count)


def step_count(n, fit):
    """The number of steps, and of losses, of cnn_fit on N samples."""
    return fit['num_epochs'] * math.ceil(n / fit['batch_size'])


def _checked(own_step):
    """The student's cnn_loss_and_grads as a step of a replay: Mismatch unless it returns a
    (loss, grads) pair with the keys of params; gradients in the shapes of the params."""
    def step(Xb, yb, params):
        got = own_step(Xb, yb, params)
        if not isinstance(got, (tuple, list)) or len(got) != 2 or not isinstance(got[1], dict) \
                or set(got[1]) != set(params):
            raise Mismatch('cnn_loss_and_grads returned no (loss, grads) pair with the keys of params')
        return got[0], {k: np.asarray(v, dtype=np.float64).reshape(np.shape(params[k])) for k, v in got[1].items()}
    return step


REPLAY_FAILURES = (StudentFailure, Mismatch, TypeError, ValueError, KeyError)


def _wrong_runs(params0, step, X, y, fit):
    """[((params, losses), explanation)] of the known wrong ways to run the fit, replayed."""
    wrong = [(replay(params0, step, X, y, fit, schedule), why) for schedule, why in SCHEDULES.items()]
    if fit['momentum']:
        wrong.append((replay(params0, step, X, y, fit, momentum=0.0), MOMENTUM_IGNORED))
    return wrong


def expect_cnn_fit(got, params0, step, X, y, fit, what, own_step=None):
    """Check cnn_fit's (params, losses) against the contract's batches and steps, replayed.

    The fit is right when it follows the contract with the trusted loss and gradients, or
    with those of the student's own cnn_loss_and_grads (`own_step`): a wrong
    cnn_loss_and_grads loses points in its own tests, not again in the fit's. Known wrong
    batch orders and momentum ignored are replayed too, with both steps, so that the
    feedback can name them even when the student's loss is wrong as well.

    Inputs:
    - got: what cnn_fit returned
    - params0: the student's own init_cnn for the same arguments, in the contract's shapes
    - step: trusted function (X_batch, y_batch, params) -> (loss, grads)
    - X, y: the data cnn_fit was given
    - fit: its keyword arguments (all of them)
    - what: how to name the call
    - own_step: function (X_batch, y_batch, params) -> the student's cnn_loss_and_grads, or None
    """
    params, losses = fit_result(got, what)
    count, per_epoch = step_count(len(X), fit), math.ceil(len(X) / fit['batch_size'])
    length = np.shape(losses)
    if length != (count,):
        epochs = ' (one per epoch, it seems)' if length == (fit['num_epochs'],) else ''
        raise Mismatch(f'{what} returned losses of shape {length}{epochs}; expected ({count},): one loss per step, '
                       f'{fit["num_epochs"]} epochs of ceil({len(X)} / {fit["batch_size"]}) = {per_epoch} batches')
    losses = expect_losses(losses, count, what, per='step')
    expected = replay(params0, step, X, y, fit)
    if follows_replay(params, losses, *expected):
        return
    wrong = []
    if own_step is not None:
        try:       # the student's own loss and gradients, when they can be replayed
            if follows_replay(params, losses, *replay(params0, _checked(own_step), X, y, fit)):
                return
            wrong = _wrong_runs(params0, _checked(own_step), X, y, fit)
        except REPLAY_FAILURES:
            pass   # judge by the trusted step alone
    wrong += _wrong_runs(params0, step, X, y, fit)
    expect_array(losses, expected[1], f'the losses of {what} ({RULE})', rtol=1e-6,
                 known_mistakes=unambiguous([(run[1], why) for run, why in wrong], expected[1]))
    params = contract_params(params, {k: np.shape(v) for k, v in expected[0].items()}, f'the params {what} returned')
    for name, value in expected[0].items():
        expect_array(params[name], value, f"{what}['{name}'] after {count} steps ({RULE})", rtol=1e-6, atol=1e-9,
                     known_mistakes=unambiguous([(run[0][name], why) for run, why in wrong], value))
