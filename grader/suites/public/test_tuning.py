"""Part 8, public: tuned_hyperparameters() keeps the rules. The held-out accuracy the reference's
mlp_fit reaches with the choice is graded in the hidden suite, which has the reference to train."""

import pytest

from .mlp_tuning import expect_rules, the_choice


@pytest.mark.points(1.0, 'tuned_hyperparameters')
def test_tuned_hyperparameters_keep_the_rules(student):
    """tuned_hyperparameters() returns a dict of mlp_fit's keyword arguments within the budget"""
    expect_rules(the_choice(student))
