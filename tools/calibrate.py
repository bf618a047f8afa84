"""Measure the reference on every graded task over several data seeds.

Prints a Markdown table (held-out accuracy mean and minimum, training CPU time) for
the README, and is what the grader's accuracy thresholds are calibrated against.

Usage: python -m tools.calibrate [--seeds 5]
"""

import argparse
import time

import numpy as np

from grader.tasks import TASKS
from solution import deep, two_layer


def measure(task, seeds):
    """Held-out accuracies and training CPU seconds of the reference, one per seed."""
    accuracies, seconds = [], []
    for seed in seeds:
        start = time.process_time()
        accuracy, _ = task.evaluate(two_layer, deep, seed)
        seconds.append(time.process_time() - start)
        accuracies.append(accuracy)
    return np.array(accuracies), np.array(seconds)


def describe(task):
    """The architecture and hyper-parameters of a task, in one line."""
    kw = task.fit_kwargs
    shape = f'layers {task.layers}' if task.deep else f'{task.layers[0]} hidden units'
    return (f"{shape}, {kw['actFun_type']}, epsilon {kw['epsilon']}, momentum {kw['momentum']}, "
            f"reg_lambda {kw['reg_lambda']}, {kw['num_passes']} passes")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seeds', type=int, default=5)
    args = parser.parse_args(argv)
    print('| task | model and training | held-out accuracy, mean (min) | CPU s per fit (median) |')
    print('|---|---|---|---|')
    for task in TASKS:
        accuracies, seconds = measure(task, range(args.seeds))
        print(f'| {task.name} | {describe(task)} | {accuracies.mean():.3f} ({accuracies.min():.3f}) '
              f'| {np.median(seconds):.2f} |')


if __name__ == '__main__':
    main()
