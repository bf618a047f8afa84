"""Part 8's hidden checks: a student's tuned_hyperparameters(), held to the rules and trained.

Tuning is graded apart from the student's own mlp_fit: the grader trains the reference's
mlp_fit (trusted code, in the grader's process) with the keyword arguments the student chose,
on the tuning task's training split, and scores the held-out split.
"""

from grader import tasks
from grader.engine.checks import Mismatch
from grader.spec import DEFAULTS, THRESHOLDS, TUNING
from grader.suites.public.mlp_tuning import TASK, expect_rules, the_choice

APART = ('Tuning is graded apart from your own mlp_fit: the grader trains the reference mlp_fit with your choice, '
         'so only the choice counts here.')
UNTUNED = 'Your choice leaves every hyper-parameter at its default: nothing is tuned yet.'


def held_out_accuracy(choice, seed):
    """The held-out accuracy on the tuning task of one seed, the reference's mlp_fit trained with a choice."""
    return tasks.evaluate(TASK, tasks.reference(), seed, choice)[0]


def expect_tuned(student, seed, leaderboard=None):
    """Check that the student's choice keeps the rules and that training with it reaches the
    tuning threshold on one seed's held-out split.

    Inputs:
    - student: the seam
    - seed: the tuning task's seed
    - leaderboard: the leaderboard fixture, to record the accuracy
    """
    choice = the_choice(student)
    expect_rules(choice)
    accuracy = held_out_accuracy(choice, seed)
    if leaderboard is not None:
        leaderboard('held-out accuracy', accuracy)
    calibration = THRESHOLDS['tuning']
    if accuracy >= calibration['threshold']:
        return
    defaults = held_out_accuracy({}, seed)
    untuned = _in_effect(choice) == _in_effect({})
    raise Mismatch(
        f'tuning (seed {seed}): trained with your choice {choice}, mlp_fit reaches a held-out accuracy of '
        f'{accuracy:.3f}; at least {calibration["threshold"]} is needed. For comparison, on this seed mlp_fit '
        f'reaches {defaults:.3f} with the contract\'s defaults (hidden_sizes {TUNING["defaults"]["hidden_sizes"]} '
        f'and mlp_fit\'s defaults), and a tuned choice reaches {calibration["min"]} or more (mean '
        f'{calibration["mean"]} over the {calibration["seeds"]} seeds the threshold was calibrated on).'
        + (f' {UNTUNED}' if untuned else '') + f' {APART}')


def _in_effect(choice):
    """(hidden sizes, every keyword argument of mlp_fit) that training with a choice uses."""
    layers, kwargs = tasks.tuned_arguments(choice, 0, 0)
    return layers, {**DEFAULTS['mlp_fit'], **kwargs}
