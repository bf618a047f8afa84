"""Measure the reference on every graded task over data seeds 0..N-1, and set the thresholds.

Prints a Markdown table (held-out accuracy mean and minimum, training CPU time) for the
README. With --write it also writes grader/thresholds.json: for each task the seeds, the
mean and minimum accuracy and the threshold the grader applies, the minimum less a
margin of about MARGIN (rounded down to a hundredth), with the margin next to it.

Usage: python -m tools.calibrate [--seeds 20] [--write] [--only TASK]
"""

import argparse
import json
import math
import time

import numpy as np

from grader import tasks
from grader.spec import HERE, MODELS, TASKS, THRESHOLDS

MARGIN = 0.03


def measure(task, seeds, choice=None):
    """Held-out accuracies and training CPU seconds of the reference, one per seed; for the
    tuning task, of the reference's mlp_fit with `choice` (the reference's own tuned one)."""
    accuracies, seconds, reference = [], [], tasks.reference()
    if task.model == 'tuned' and choice is None:
        choice = reference.mlp.tuned_hyperparameters()
    for seed in seeds:
        start = time.process_time()
        accuracy, _ = tasks.evaluate(task, reference, seed, choice)
        seconds.append(time.process_time() - start)
        accuracies.append(accuracy)
    return np.array(accuracies), np.array(seconds)


def calibration(accuracies):
    """The thresholds.json entry of one task's accuracies over seeds 0..len-1."""
    lowest = float(accuracies.min())
    threshold = math.floor((lowest - MARGIN) * 100) / 100
    return {'seeds': len(accuracies), 'mean': round(float(accuracies.mean()), 3), 'min': round(lowest, 3),
            'threshold': threshold, 'margin': round(lowest - threshold, 3)}


def describe(task):
    """The architecture and hyper-parameters of a task, in one line."""
    if task.model == 'tuned':
        return f'the reference tuned_hyperparameters(): {tasks.reference().mlp.tuned_hyperparameters()}'
    model = MODELS[task.model].described.format(shape=task.shape).replace('`', '')
    return ', '.join([model, *(f'{key} {value}' for key, value in task.fit.items())])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seeds', type=int, default=20)
    parser.add_argument('--write', action='store_true', help='write grader/thresholds.json')
    parser.add_argument('--only', choices=sorted(TASKS), help='calibrate one task')
    args = parser.parse_args(argv)
    thresholds = dict(THRESHOLDS)
    print('| task | model and training | held-out accuracy, mean (min) | CPU s per fit (median) | threshold |')
    print('|---|---|---|---|---|')
    for name, task in TASKS.items():
        if args.only and name != args.only:
            continue
        accuracies, seconds = measure(task, range(args.seeds))
        thresholds[name] = calibration(accuracies)
        print(f'| {name} | {describe(task)} | {accuracies.mean():.3f} ({accuracies.min():.3f}) '
              f'| {np.median(seconds):.2f} | {thresholds[name]["threshold"]} |')
        if task.model == 'tuned':
            defaults, _ = measure(task, range(args.seeds), {})
            print(f'| {name}, defaults | mlp_fit\'s defaults | {defaults.mean():.3f} ({defaults.min():.3f}, '
                  f'max {defaults.max():.3f}) | | |')
    if args.write:
        (HERE / 'thresholds.json').write_text(json.dumps(dict(sorted(thresholds.items())), indent=1) + '\n')
        print(f'wrote {HERE / "thresholds.json"}')


if __name__ == '__main__':
    main()
