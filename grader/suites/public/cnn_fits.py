"""cnn_fit replayed by the grader with a step function the caller gives: the contract's
batches, and the wrong ones students draw.

The contract: parameters from init_cnn(X.shape[1:], num_filters, filter_size, hidden_dim,
C, seed), velocities zero; the batches of schedules.py, one momentum step per batch;
losses[t] is the loss of step t's batch at the parameters step t started from.

The public suite replays with the student's own init_cnn and cnn_loss_and_grads (a relative
expectation: nothing here computes an answer), and compares with the reference's run from
expected_cnn.json when the student's init is the reference's; the hidden suite replays with
the reference's loss and gradients too.
"""

import math

import numpy as np

from grader.engine.checks import Mismatch, expect_array, expect_given
from grader.engine.seam import StudentFailure

from .cnn_checks import unambiguous
from .fits import by_own_update, contract_params, expect_losses, fit_result, follows_replay, momentum_replay
from .schedules import MOMENTUM_IGNORED, SCHEDULE, SCHEDULES, batches, epoch_orders, step_count

RULE = (f'from your own init_cnn with the same arguments and zero velocities, {SCHEDULE}, records the loss '
        'cnn_loss_and_grads returns for them, then updates v = momentum * v - epsilon * grad and p = p + v')

# What a replay with the student's own cnn_loss_and_grads may raise.
REPLAY_FAILURES = (StudentFailure, Mismatch, TypeError, ValueError, KeyError)


def replay(params0, step, X, y, fit, schedule='contract', momentum=None, update=None):
    """(params, losses) of cnn_fit run by the grader with the batches of a schedule.

    Inputs:
    - params0: the initial params
    - step: function (X_batch, y_batch, params) -> (loss, grads)
    - X, y, fit: the data and the keyword arguments of cnn_fit
    - schedule: 'contract' or a key of SCHEDULES
    - momentum: the momentum to use, the fit's when None
    - update: the student's own momentum_step (fits.own_update) in place of the contract's step
    """
    shapes = [np.shape(params0[name]) for name in ('W1', 'W2', 'W3')]
    steps = iter(batches(epoch_orders(len(X), fit['num_epochs'], fit['seed'], schedule, shapes),
                         fit['batch_size']))

    def next_step(params):
        batch = next(steps)
        return step(X[batch], y[batch], params)

    return momentum_replay(params0, next_step, fit['epsilon'], fit['momentum'] if momentum is None else momentum,
                           step_count(len(X), fit), update)


def wrong_runs(params0, step, X, y, fit):
    """[((params, losses), explanation)] of the known wrong ways to run the fit, replayed with
    `step`; [] when the step fails on one of their batches."""
    try:
        wrong = [(replay(params0, step, X, y, fit, schedule), why) for schedule, why in SCHEDULES.items()]
        if fit['momentum']:
            wrong.append((replay(params0, step, X, y, fit, momentum=0.0), MOMENTUM_IGNORED))
    except REPLAY_FAILURES:
        return []
    return wrong


def checked_step(own_step):
    """The student's cnn_loss_and_grads as a step of a replay: Mismatch unless it returns a
    (loss, grads) pair with the keys of params; gradients in the shapes of the params."""
    def step(Xb, yb, params):
        got = own_step(Xb, yb, params)
        if not isinstance(got, (tuple, list)) or len(got) != 2 or not isinstance(got[1], dict) \
                or set(got[1]) != set(params):
            raise Mismatch('cnn_loss_and_grads returned no (loss, grads) pair with the keys of params')
        return got[0], {k: np.asarray(v, dtype=np.float64).reshape(np.shape(params[k])) for k, v in got[1].items()}
    return step


def fit_steps(got, n, fit, what):
    """(params, losses) of what cnn_fit returned: Mismatch unless it is a pair whose losses
    hold one finite float per step, num_epochs * ceil(N / batch_size) of them."""
    params, losses = fit_result(got, what)
    count, per_epoch = step_count(n, fit), math.ceil(n / fit['batch_size'])
    length = np.shape(losses)
    if length != (count,):
        epochs = ' (one per epoch, it seems)' if length == (fit['num_epochs'],) else ''
        raise Mismatch(f'{what} returned losses of shape {length}{epochs}; expected ({count},): one loss per step, '
                       f'{fit["num_epochs"]} epochs of ceil({n} / {fit["batch_size"]}) = {per_epoch} batches')
    return params, expect_losses(losses, count, what, per='step')


def run_mistakes(wrong):
    """Known wrong runs as expect_run takes them: {'losses': [(losses, why)], name: [(params[name], why)]}.

    Inputs:
    - wrong: [((params, losses), explanation)], as wrong_runs gives them
    """
    mistakes = {'losses': [(run[1], why) for run, why in wrong]}
    for (params, _), why in wrong:
        for name, value in params.items():
            mistakes.setdefault(name, []).append((value, why))
    return mistakes


def expect_run(params, losses, expected, mistakes, what):
    """Check a fit's losses and params against a run, naming the known wrong run they equal.

    Inputs:
    - params, losses: what the fit returned (fit_steps)
    - expected: the run it should equal, (params, losses)
    - mistakes: {'losses': [(wrong losses, why)], name: [(wrong params[name], why)]} of the known
      wrong runs (run_mistakes), any of them missing when none is known
    - what: how to name the call
    """
    expect_array(losses, expected[1], f'the losses of {what} ({RULE})', rtol=1e-6,
                 known_mistakes=unambiguous(mistakes.get('losses', []), expected[1]))
    params = contract_params(params, {k: np.shape(v) for k, v in expected[0].items()}, f'the params {what} returned')
    for name, value in expected[0].items():
        expect_array(params[name], value, f"{what}['{name}'] after {len(expected[1])} steps ({RULE})", rtol=1e-6,
                     atol=1e-9, known_mistakes=unambiguous(mistakes.get(name, []), value))


def expect_replayed_fit(got, params0, own_step, X, y, fit, what, reference=None, reference_mistakes=None,
                        update=None):
    """Check cnn_fit's (params, losses) by replaying the contract with the student's own
    init_cnn and cnn_loss_and_grads: a wrong cnn_loss_and_grads loses points in its own tests,
    not again in the fit's.

    Inputs:
    - got: what cnn_fit returned
    - params0: the student's own init_cnn for the same arguments, in the contract's shapes
    - own_step: function (X_batch, y_batch, params) -> the student's cnn_loss_and_grads
    - X, y: the data cnn_fit was given
    - fit: its keyword arguments (all of them)
    - what: how to name the call
    - reference: the reference's run (params, losses) when params0 is the reference's init, else None
    - reference_mistakes: the reference's known wrong runs from that init, as expect_run takes
      them, so that the feedback names them even when the student's loss is wrong as well
    - update: the student's own momentum_step (fits.own_update), or None: a fit that follows
      it when it is wrong is a consequence of it (checks.expect_given)
    """
    params, losses = fit_steps(got, len(X), fit, what)
    reference_mistakes = reference_mistakes or {}
    if reference is not None and follows_replay(params, losses, *reference):
        return
    step = checked_step(own_step)
    try:
        own = replay(params0, step, X, y, fit)
    except REPLAY_FAILURES as error:
        if reference is None:
            raise Mismatch(f'{what} is checked by a replay of the contract ({RULE}) with your own cnn_loss_and_grads, '
                           f'and that failed: {error}') from None
        expect_run(params, losses, reference, reference_mistakes, what)
        return
    if follows_replay(params, losses, *own):
        return
    mistakes = run_mistakes(wrong_runs(params0, step, X, y, fit))
    for name, known in reference_mistakes.items():
        mistakes[name] = mistakes.get(name, []) + list(known)
    expect_given(lambda: expect_run(params, losses, own if reference is None else reference, mistakes, what),
                 (lambda: by_own_update(params, losses, lambda: replay(params0, step, X, y, fit, update=update)))
                 if update else tuple, what)
