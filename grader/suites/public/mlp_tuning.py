"""Part 8's rules, checked on a student's tuned_hyperparameters(): the keyword arguments it may
choose and the compute budget. The accuracy a choice reaches is graded in the hidden suite,
which trains the reference's mlp_fit with it."""

import numpy as np

from grader import tasks
from grader.engine.checks import Mismatch
from grader.spec import TASKS

TASK = TASKS['tuning']


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
