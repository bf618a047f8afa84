"""Helpers the hidden suite uses to check training: the update rule, replayed by the grader
with the reference's loss and gradients, and momentum_step against the contract's step.

The comparisons themselves are the public suite's (grader/suites/public/dense_checks.py),
which reads from expected.json what this module computes from the reference.
"""

import numpy as np

from grader.engine.checks import Mismatch, expect_given
from grader.engine.seam import StudentFailure
from grader.suites.public.accuracy import expect_accuracy
from grader.suites.public.dense_checks import expect_momentum_step, expect_run, wrong_runs
from grader.suites.public.fits import (by_own_update, cnn_shapes, contract_params, expect_losses, fit_result,
                                       follows_replay, mlp_shapes, momentum_replay, network_shapes, own_update)

from .mistakes import contract_momentum_step, momentum_step_mistakes

# The hidden suite imports these from here, the checks of the public modules among them.
__all__ = ['cnn_shapes', 'contract_params', 'expect_accuracy', 'expect_losses', 'expect_training', 'fit_result',
           'mlp_shapes', 'momentum_step_result', 'network_shapes', 'own_update']


def expect_training(got, params0, loss_and_grads, fit_kwargs, what, own_gradients=None, update=None):
    """Check a fit's (params, losses) against the update rule, replayed by the grader.

    The fit is right when it follows the rule with the exact gradients, or with those
    of the student's own backprop (`own_gradients`): a wrong backprop loses points in its
    own tests, not again in the fit's. Known wrong rules (momentum ignored, a step up the
    gradient) are replayed too, so that the feedback can name them whether the losses or
    the parameters show it first.

    Inputs:
    - got: what the fit returned
    - params0: the student's own initial params, in the contract's shapes
    - loss_and_grads: trusted function params -> (loss, exact gradients)
    - fit_kwargs: the fit's epsilon, momentum, num_passes
    - what: how to name the call
    - own_gradients: function params -> the student's backprop, or None
    - update: the student's own momentum_step as fits.own_update makes it, or None: a fit
      that follows it, with the exact gradients or the student's own, is a consequence of it
    """
    passes, epsilon, momentum = fit_kwargs['num_passes'], fit_kwargs['epsilon'], fit_kwargs['momentum']
    params, losses = fit_result(got, what)
    losses = expect_losses(losses, passes, what)
    expected = momentum_replay(params0, loss_and_grads, epsilon, momentum, passes)
    if follows_replay(params, losses, *expected):
        return
    own = _own_replay(params0, loss_and_grads, own_gradients, epsilon, momentum, passes)
    if own is not None and follows_replay(params, losses, *own):
        return

    def faults():
        if update is None:
            return ()
        exact = by_own_update(params, losses, lambda: momentum_replay(params0, loss_and_grads, epsilon, momentum,
                                                                      passes, update))
        if exact:
            return exact
        replayed = _own_replay(params0, loss_and_grads, own_gradients, epsilon, momentum, passes, update)
        return () if replayed is None else by_own_update(params, losses, lambda: replayed)

    expect_given(lambda: expect_run(params, losses, expected,
                                    wrong_runs(params0, loss_and_grads, epsilon, momentum, passes), what),
                 faults, what)


def _own_replay(params0, loss_and_grads, own_gradients, epsilon, momentum, passes, update=None):
    """The replay with the exact losses and the student's own backprop's gradients (and own
    momentum_step, when `update`), or None when there is no such backprop or it cannot be replayed."""
    def step(params):
        grads = own_gradients(params)
        if not isinstance(grads, dict) or set(grads) != set(params):
            raise Mismatch('backprop returned other keys')
        return loss_and_grads(params)[0], {k: np.asarray(v, dtype=np.float64) for k, v in grads.items()}

    if own_gradients is None:
        return None
    try:
        return momentum_replay(params0, step, epsilon, momentum, passes, update)
    except (StudentFailure, Mismatch, TypeError, ValueError, KeyError, AttributeError):
        return None   # judge by the exact gradients alone


def momentum_step_result(got, params, grads, velocity, epsilon, momentum, what):
    """Check what momentum_step returned against the contract's step, every key of both
    dicts at once, with the diagnosis of a known wrong step when both results show it.

    Inputs:
    - got: what the submission returned
    - params, grads, velocity: the arguments, {key: array}
    - epsilon, momentum: the hyper-parameters
    - what: how to name the call
    """
    expect_momentum_step(got, contract_momentum_step(params, grads, velocity, epsilon, momentum),
                         momentum_step_mistakes(params, grads, velocity, epsilon, momentum), what)
