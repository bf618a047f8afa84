"""The reference reaches the handout's held-out accuracies on every graded task."""

import numpy as np
import pytest

from grader import tasks
from grader.spec import TASKS, THRESHOLDS

SEEDS = range(5)
# The accuracies the assignment promises (README); the reference's measured means sit above.
REQUIRED_MEAN_ACCURACY = {'moons': 0.95, 'circles': 0.97, 'digits': 0.95, 'deep moons': 0.95}


def held_out_accuracy(task, seed):
    accuracy, losses = tasks.evaluate(task, tasks.reference(), seed)
    assert len(losses) == task.fit['num_passes'] and np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    return accuracy


@pytest.mark.parametrize('name', TASKS)
def test_reference_accuracy_over_five_seeds(name):
    accuracies = [held_out_accuracy(TASKS[name], seed) for seed in SEEDS]
    assert np.mean(accuracies) >= REQUIRED_MEAN_ACCURACY[name], accuracies
    assert min(accuracies) >= THRESHOLDS[name]['threshold'], 'a calibrated threshold would fail the reference'


def test_every_task_has_a_threshold_below_the_reference_with_its_margin():
    assert set(THRESHOLDS) == set(TASKS)
    for name, calibration in THRESHOLDS.items():
        assert calibration['seeds'] >= 20, name
        assert calibration['threshold'] + calibration['margin'] == pytest.approx(calibration['min'], abs=1e-9)
        assert calibration['margin'] >= 0.02, name
