"""Part 8, public: tuned_hyperparameters() keeps the rules, and the reference's mlp_fit trained
with it reaches the threshold on the tuning task's seed 0 (the leaderboard's accuracy)."""

import pytest

from grader.suites.tuning import expect_rules, expect_tuned, the_choice


@pytest.mark.points(1.0, 'tuned_hyperparameters')
def test_tuned_hyperparameters_keep_the_rules(student):
    """tuned_hyperparameters() returns a dict of mlp_fit's keyword arguments within the budget"""
    expect_rules(the_choice(student))


@pytest.mark.points(2.5, 'tuned_hyperparameters')
@pytest.mark.training
def test_tuned_hyperparameters_reach_the_threshold(student, leaderboard):
    """the tuning task, seed 0: mlp_fit trained with your choice reaches the held-out accuracy threshold"""
    expect_tuned(student, 0, leaderboard)
