"""The reference's training loop against scikit-learn's MLPClassifier, and against the
machine's float64 matmul. Run by bench/run.py in a process of its own; prints JSON.

Usage: python bench/training.py REPEATS PASSES_SCALE
"""

import json
import statistics
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from grader import tasks
from grader.spec import TASKS
from solution import two_layer


def interleaved(functions, repeats):
    """[(median seconds, last result)] of each function, run in turns so that any drift of
    the machine's speed affects them alike."""
    times, results = [[] for _ in functions], [None] * len(functions)
    for _ in range(repeats):
        for index, function in enumerate(functions):
            start = time.perf_counter()
            results[index] = function()
            times[index].append(time.perf_counter() - start)
    return [(statistics.median(t), r) for t, r in zip(times, results)]


def matmul(n=1536):
    """A float64 product of two n x n matrices, and its flops: this machine's matmul rate is
    the physical limit of the training loop."""
    a, b = np.random.default_rng(0).standard_normal((2, n, n))
    return (lambda: a @ b), 2 * n ** 3


def flops_per_pass(n, d, h, c):
    """Matrix-product flops of one forward and backward pass of the two-layer network."""
    return 2 * n * d * h + 2 * n * h * c + 2 * n * h * c + 2 * n * d * h + 2 * n * h * c


def products_only(n, d, h, c, passes):
    """The five matrix products of the training loop's passes, and nothing else: the rate
    that products of these (thin) shapes reach on their own."""
    rng = np.random.default_rng(0)
    X, W1, W2 = rng.standard_normal((n, d)), rng.standard_normal((d, h)), rng.standard_normal((h, c))

    def run():
        for _ in range(passes):
            a1 = X @ W1
            do = a1 @ W2
            dz1 = do @ W2.T
            X.T @ dz1, a1.T @ do
    return run


def compare(task, repeats, scale):
    X_train, X_test, y_train, y_test = tasks.dataset(task, 0)
    kw = dict(task.fit, num_passes=max(1, int(task.fit['num_passes'] * scale)))
    hidden, n = task.shape, len(X_train)
    # The same problem for scikit-learn: full batch, plain momentum, L2 of lambda/2 * sum(W**2)
    # (scikit-learn divides alpha by the batch size), no early stopping, no shuffling.
    model = MLPClassifier(hidden_layer_sizes=(hidden,), activation=kw['actFun_type'], solver='sgd',
                          batch_size=n, learning_rate='constant', learning_rate_init=kw['epsilon'],
                          momentum=kw['momentum'], nesterovs_momentum=False, alpha=kw['reg_lambda'] * n,
                          max_iter=kw['num_passes'], tol=0.0, n_iter_no_change=kw['num_passes'] + 1,
                          shuffle=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', ConvergenceWarning)
        # The matmul peak is timed in the same turns: this machine's speed drifts by tens of
        # percent from minute to minute, and the ratio must compare like with like.
        product, product_flops = matmul()
        shape = (n, X_train.shape[1], hidden, int(y_train.max()) + 1)
        (ours_s, (params, _)), (sklearn_s, fitted), (product_s, _), (products_s, _) = interleaved(
            [lambda: two_layer.fit_model(X_train, y_train, hidden, seed=0, **kw),
             lambda: model.fit(X_train, y_train), product, products_only(*shape, kw['num_passes'])], repeats)
    peak = product_flops / product_s / 1e9
    ours_accuracy = float(np.mean(two_layer.predict(X_test, params, kw['actFun_type']) == y_test))
    flops = flops_per_pass(*shape) * kw['num_passes']
    return {'passes': kw['num_passes'], 'ours_s': round(ours_s, 3), 'sklearn_s': round(sklearn_s, 3),
            'time_ratio': round(ours_s / sklearn_s, 2), 'ours_accuracy': round(ours_accuracy, 3),
            'sklearn_accuracy': round(float(fitted.score(X_test, y_test)), 3),
            'gflops': round(flops / ours_s / 1e9, 2), 'peak_gflops': round(peak, 1),
            'of_peak': round(flops / ours_s / 1e9 / peak, 3),
            'products_only_of_peak': round(flops / products_s / 1e9 / peak, 3)}


def main():
    repeats, scale = int(sys.argv[1]), float(sys.argv[2])
    print(json.dumps({'tasks': {name: compare(TASKS[name], repeats, scale) for name in ('moons', 'digits')}}))


if __name__ == '__main__':
    main()
