"""cnn_fit checked by the hidden suite: replayed with the reference's loss and gradients, and
with the student's own (the replay itself, its schedules and the wrong runs are in
grader/suites/public/cnn_fits.py, shipped with the public suite)."""

from grader.engine.checks import expect_given
from grader.suites.public.cnn_fits import (REPLAY_FAILURES, checked_step, expect_run, fit_steps, replay,
                                           run_mistakes, wrong_runs)
from grader.suites.public.fits import by_own_update, follows_replay


def expect_cnn_fit(got, params0, step, X, y, fit, what, own_step=None, update=None):
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
    - update: the student's own momentum_step (fits.own_update), or None: a fit that follows
      it when it is wrong, with the trusted step or the student's own, is a consequence of it
    """
    params, losses = fit_steps(got, len(X), fit, what)
    expected = replay(params0, step, X, y, fit)
    if follows_replay(params, losses, *expected):
        return
    wrong = []
    if own_step is not None:
        try:       # the student's own loss and gradients, when they can be replayed
            if follows_replay(params, losses, *replay(params0, checked_step(own_step), X, y, fit)):
                return
            wrong = wrong_runs(params0, checked_step(own_step), X, y, fit)
        except REPLAY_FAILURES:
            pass   # judge by the trusted step alone

    def faults():
        for each in [step] + ([checked_step(own_step)] if own_step is not None else []):
            found = by_own_update(params, losses, lambda: replay(params0, each, X, y, fit, update=update))
            if found:
                return found
        return ()

    expect_given(lambda: expect_run(params, losses, expected,
                                    run_mistakes(wrong + wrong_runs(params0, step, X, y, fit)), what),
                 faults if update else tuple, what)
