"""Part 8's checks: a student's tuned_hyperparameters(), held to the rules and trained.

Tuning is graded apart from the student's own mlp_fit: the grader trains the reference's
mlp_fit (trusted code, in the grader's process) with the keyword arguments the student chose,
on the tuning task's training split, and scores the held-out split. Where the reference is not
at hand (the public suite run from a student's copy of the grader), the student's own mlp_fit
trains instead, and the feedback says so.
"""

import importlib

import numpy as np

from grader import tasks
from grader.engine.checks import Mismatch
from grader.spec import DEFAULTS, SPEC, TASKS, THRESHOLDS, TUNING

from . import mlp_network as net
from .mlp_training import fit_parts

TASK = TASKS['tuning']
APART = ('Tuning is graded apart from your own mlp_fit: the grader trains the reference mlp_fit with your choice, '
         'so only the choice counts here.')
OWN_FIT = ('The reference mlp_fit is not part of this copy of the grader, so your own mlp_fit trained with your '
           'choice; the autograder trains the reference\'s.')
UNTUNED = 'Your choice leaves every hyper-parameter at its default: nothing is tuned yet.'


def the_choice(student):
    """What the student's tuned_hyperparameters() returned, numpy scalars and arrays as Python
    numbers and lists (so that np.int64(200) is an int of the rules)."""
    def plain(value):
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, tuple):
            return [plain(item) for item in value]
        return value
    choice = student.mlp.tuned_hyperparameters()
    return {key: plain(value) for key, value in choice.items()} if isinstance(choice, dict) else choice


def expect_rules(choice):
    """Mismatch naming every rule of Part 8 that the choice breaks."""
    X_train, _, y_train, _ = tasks.dataset(TASK, 0)
    problems = tasks.tuning_problems(choice, X_train.shape[1], int(y_train.max()) + 1, len(X_train))
    if problems:
        raise Mismatch('tuned_hyperparameters() breaks the rules of Part 8, so the grader does not train with it:\n'
                       + '\n'.join(f'- {problem}' for problem in problems))


def reference_at_hand():
    """Whether the reference's mlp module can be imported here (not in a student's copy)."""
    try:
        importlib.import_module(f'{SPEC.solution}.mlp')
    except ImportError:
        return False
    return True


def held_out_accuracy(choice, seed, student=None):
    """The held-out accuracy on the tuning task of one seed, trained with a choice: by the
    reference's mlp_fit, or by the student's own when `student` is given."""
    if student is None:
        return tasks.evaluate(TASK, tasks.reference(), seed, choice)[0]
    X_train, X_test, y_train, y_test = tasks.dataset(TASK, seed)
    layers, kwargs = tasks.tuned_arguments(choice, X_train.shape[1], int(y_train.max()) + 1)
    what = f'mlp_fit(X_train, y_train, {layers}, seed={seed}, **your choice)'
    params, _ = fit_parts(student.mlp.mlp_fit(X_train, y_train, layers, seed=seed, **kwargs), what)
    shapes = net.mlp_shapes(layers, {**DEFAULTS['mlp_fit'], **kwargs}['batchnorm'])
    missing = sorted(set(shapes) - set(params))
    if missing:
        raise Mismatch(f'{what} returned params without {missing}')
    params = {name: np.asarray(params[name], dtype=np.float64) for name in shapes}
    act = {**DEFAULTS['mlp_fit'], **kwargs}['actFun_type']
    return float(np.mean(net.labels(X_test, params, act) == y_test))


def expect_tuned(student, seed, leaderboard=None):
    """Check that the student's choice keeps the rules and that training with it reaches the
    tuning threshold on one seed's held-out split.

    Inputs:
    - student: the seam
    - seed: the tuning task's seed
    - leaderboard: the leaderboard fixture, to record the accuracy (reference training only)
    """
    choice = the_choice(student)
    expect_rules(choice)
    trainer = None if reference_at_hand() else student
    accuracy = held_out_accuracy(choice, seed, trainer)
    if leaderboard is not None and trainer is None:
        leaderboard('held-out accuracy', accuracy)
    calibration = THRESHOLDS['tuning']
    if accuracy >= calibration['threshold']:
        return
    defaults = held_out_accuracy({}, seed, trainer)
    untuned = _in_effect(choice) == _in_effect({})
    raise Mismatch(
        f'tuning (seed {seed}): trained with your choice {choice}, mlp_fit reaches a held-out accuracy of '
        f'{accuracy:.3f}; at least {calibration["threshold"]} is needed. For comparison, on this seed mlp_fit '
        f'reaches {defaults:.3f} with the contract\'s defaults (hidden_sizes {TUNING["defaults"]["hidden_sizes"]} '
        f'and mlp_fit\'s defaults), and a tuned choice reaches {calibration["min"]} or more (mean '
        f'{calibration["mean"]} over the {calibration["seeds"]} seeds the threshold was calibrated on).'
        + (f' {UNTUNED}' if untuned else '') + f' {OWN_FIT if trainer is not None else APART}')


def _in_effect(choice):
    """(hidden sizes, every keyword argument of mlp_fit) that training with a choice uses."""
    layers, kwargs = tasks.tuned_arguments(choice, 0, 0)
    return layers, {**DEFAULTS['mlp_fit'], **kwargs}
