"""The reference reaches the handout's held-out accuracies on every graded task."""

import math

import numpy as np
import pytest

from grader import tasks
from grader.spec import DEFAULTS, TASKS, THRESHOLDS

SEEDS = range(5)
# The accuracies the assignment promises (README); the reference's measured means sit above.
REQUIRED_MEAN_ACCURACY = {'moons': 0.95, 'circles': 0.97, 'digits': 0.95, 'deep moons': 0.95,
                          'cnn digits': 0.97, 'mlp digits': 0.95, 'tuning': 0.93}
# On the tuning task, mlp_fit's defaults must leave clear room for tuning.
DEFAULTS_AT_MOST = 0.85


def held_out_accuracy(task, seed, choice=None):
    """The reference's held-out accuracy on one seed, after checking its losses: one per pass,
    or one per minibatch step, finite and falling."""
    if task.model == 'tuned' and choice is None:
        choice = tasks.reference().mlp.tuned_hyperparameters()
    accuracy, losses = tasks.evaluate(task, tasks.reference(), seed, choice)
    # tuned_arguments' keyword arguments do not depend on the layer sizes it is given.
    fit = {**DEFAULTS['mlp_fit'], **tasks.tuned_arguments(choice, 1, 1)[1]} if task.model == 'tuned' else task.fit
    samples = len(tasks.dataset(task, seed)[2])
    count = fit['num_passes'] if 'num_passes' in fit else fit['num_epochs'] * math.ceil(samples / fit['batch_size'])
    assert len(losses) == count and np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    return accuracy


@pytest.mark.parametrize('name', TASKS)
def test_reference_accuracy_over_five_seeds(name):
    accuracies = [held_out_accuracy(TASKS[name], seed) for seed in SEEDS]
    assert np.mean(accuracies) >= REQUIRED_MEAN_ACCURACY[name], accuracies
    assert min(accuracies) >= THRESHOLDS[name]['threshold'], 'a calibrated threshold would fail the reference'


def test_the_defaults_score_clearly_below_a_tuned_choice_on_the_tuning_task():
    accuracies = [held_out_accuracy(TASKS['tuning'], seed, choice={}) for seed in SEEDS]
    assert np.mean(accuracies) <= DEFAULTS_AT_MOST, accuracies


def test_every_task_has_a_threshold_below_the_reference_with_its_margin():
    assert set(THRESHOLDS) == set(TASKS)
    for name, calibration in THRESHOLDS.items():
        assert calibration['seeds'] >= 20, name
        assert calibration['threshold'] + calibration['margin'] == pytest.approx(calibration['min'], abs=1e-9)
        assert calibration['margin'] >= 0.02, name
