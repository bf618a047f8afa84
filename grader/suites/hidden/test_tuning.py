"""Part 8, hidden: the reference's mlp_fit trained with tuned_hyperparameters() on the tuning
task's public seed 0 (the leaderboard's accuracy; in the hidden suite since it trains the
reference) and on a seed drawn from the grading seed."""

import pytest

from grader.spec import THRESHOLDS
from grader.suites.hidden.tuning import expect_tuned


@pytest.mark.points(2.5, 'tuned_hyperparameters')
@pytest.mark.training
def test_tuned_hyperparameters_reach_the_threshold(student, leaderboard):
    """the tuning task, seed 0: mlp_fit trained with your choice reaches the held-out accuracy threshold"""
    expect_tuned(student, 0, leaderboard)


@pytest.mark.points(4.5, 'tuned_hyperparameters')
@pytest.mark.training
def test_tuned_hyperparameters_reach_the_threshold_on_another_seed(student, grading_seed):
    """the tuning task on a hidden seed: mlp_fit trained with your choice reaches the held-out accuracy threshold"""
    # Another of the seeds the threshold was calibrated on, never the public seed 0.
    expect_tuned(student, 1 + grading_seed % (THRESHOLDS['tuning']['seeds'] - 1))
