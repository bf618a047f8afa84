"""Measure the reference of parts 6-8 over many seeds, and time the CNN.

Prints Markdown tables for the handout and the grader's thresholds:
- held-out accuracy (mean, min, max over the seeds) and median CPU seconds per fit of
  every graded training task of parts 6-8 (seed s is both the data split and `seed`);
- the CPU time of the largest fit the tuning budget allows;
- cnn_fit with a convolution written as a Python loop over output positions (vectorised
  over N and F), and with one looping over every sample, filter and position too,
  against the reference;
- one training step of the reference on a batch of 32 digit images, and optionally of
  the same network in PyTorch, timed in turns (--torch names a Python that has torch).

Run it as the grader runs training, on one BLAS thread:

    OPENBLAS_NUM_THREADS=1 MALLOC_TOP_PAD_=67108864 python -m tools.calibrate_parts_6_8 [--seeds 20]
"""

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assignment import data
from solution import cnn, mlp
from solution.two_layer import momentum_step

# The graded training tasks of parts 6-8 (tests/test_reference_*.py import these).
CNN_FIT = dict(num_filters=8, filter_size=3, hidden_dim=64, epsilon=0.05, momentum=0.9,
               reg_lambda=0.001, num_epochs=15, batch_size=32)
MLP_DIGITS_HIDDEN = [64]
MLP_DIGITS_FIT = dict(epsilon=0.05, momentum=0.9, keep_prob=0.8, batchnorm=True, num_epochs=20,
                      batch_size=64)


def budget_extremes():
    """Settings at the edges of the tuning budget, with batch norm on (the slower case).

    Each hidden shape trains for as many epochs as the arithmetic limit allows, in batches
    just large enough to keep within the step limit; the widest ones run out of epochs, the
    narrow deep one out of steps, where numpy's per-call overhead dominates.
    """
    budget, n_train = data.TUNING_BUDGET, data.TUNING_SPLIT_SIZES['train']
    shapes = ([budget['max_hidden_size']] * budget['max_hidden_layers'], [budget['max_hidden_size']],
              [128, 128], [32] * budget['max_hidden_layers'])
    settings = []
    for hidden in shapes:
        weights = data.check_tuning_budget(dict(hidden_sizes=hidden, num_epochs=0))['weights']
        epochs = max(1, budget['max_weight_passes'] // (n_train * weights))
        batch = next(b for b in range(1, n_train + 1) if epochs * -(-n_train // b) <= budget['max_steps'])
        settings.append(dict(hidden_sizes=hidden, num_epochs=epochs, batch_size=batch))
    return settings


def digit_images_split(seed):
    """(X_train, X_test, y_train, y_test) of the digit images, 70/30 stratified by seed."""
    X, y = data.load_digit_images()
    index = np.arange(len(y)).reshape(-1, 1)            # stratified_split wants 2-D features
    train, test, y_train, y_test = data.stratified_split(index, y, test_fraction=0.3, seed=seed)
    return X[train[:, 0]], X[test[:, 0]], y_train, y_test


def cnn_digits(seed):
    """Held-out accuracy and CPU seconds of cnn_fit on the digit images."""
    X_train, X_test, y_train, y_test = digit_images_split(seed)
    start = time.process_time()
    params, _ = cnn.cnn_fit(X_train, y_train, seed=seed, **CNN_FIT)
    seconds = time.process_time() - start
    return float(np.mean(cnn.cnn_predict(X_test, params) == y_test)), seconds


def mlp_digits(seed, **overrides):
    """Held-out accuracy and CPU seconds of mlp_fit on the flat digits."""
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.stratified_split(X, y, test_fraction=0.3, seed=seed)
    start = time.process_time()
    params, _ = mlp.mlp_fit(X_train, y_train, [64, *MLP_DIGITS_HIDDEN, 10], seed=seed,
                            **{**MLP_DIGITS_FIT, **overrides})
    seconds = time.process_time() - start
    return float(np.mean(mlp.mlp_predict(X_test, params) == y_test)), seconds


def tuning_task(seed, hyperparameters):
    """Test accuracy and CPU seconds of the reference mlp_fit on the tuning task, as graded."""
    data.check_tuning_budget(hyperparameters)
    kwargs = {**hyperparameters}
    hidden = kwargs.pop('hidden_sizes', data.TUNING_DEFAULTS['hidden_sizes'])
    X_train, y_train, _, _ = data.load_tuning_task(seed)
    X_test, y_test = data.load_tuning_test(seed)
    layers = [X_train.shape[1], *hidden, int(y_train.max()) + 1]
    start = time.process_time()
    params, _ = mlp.mlp_fit(X_train, y_train, layers, seed=seed, **kwargs)
    seconds = time.process_time() - start
    labels = mlp.mlp_predict(X_test, params, kwargs.get('actFun_type', 'relu'))
    return float(np.mean(labels == y_test)), seconds


# ------------------------------------------------------------- slower convolutions

def padded(x, pad):
    """x with pad zeros around its two spatial axes, as the reference pads."""
    N, C, H, W = x.shape
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad:pad + H, pad:pad + W] = x
    return x_pad


def conv_forward_position_loop(x, W, b, stride=1, pad=0):
    """conv_forward with a Python loop over the output positions, vectorised over N and F."""
    N, _, H, Wd = x.shape
    F, _, k, _ = W.shape
    out_h, out_w = cnn.output_size(H, k, stride, pad), cnn.output_size(Wd, k, stride, pad)
    x_pad = padded(x, pad)
    filters = W.reshape(F, -1)
    out = np.empty((N, F, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x_pad[:, :, i * stride:i * stride + k, j * stride:j * stride + k].reshape(N, -1)
            out[:, :, i, j] = window @ filters.T + b
    return out


def conv_backward_position_loop(dout, x, W, b, stride=1, pad=0):
    """conv_backward with a Python loop over the output positions, vectorised over N and F."""
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    x_pad = padded(x, pad)
    dx_pad, dW = np.zeros_like(x_pad), np.zeros((F, C * k * k))
    filters = W.reshape(F, -1)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + k), slice(j * stride, j * stride + k)
            dW += dout[:, :, i, j].T @ x_pad[:, :, rows, cols].reshape(N, -1)
            dx_pad[:, :, rows, cols] += (dout[:, :, i, j] @ filters).reshape(N, C, k, k)
    return dx_pad[:, :, pad:pad + H, pad:pad + Wd], dW.reshape(W.shape), dout.sum(axis=(0, 2, 3))


def conv_forward_full_loop(x, W, b, stride=1, pad=0):
    """conv_forward with a Python loop over samples, filters and positions."""
    N, _, H, Wd = x.shape
    F, _, k, _ = W.shape
    out_h, out_w = cnn.output_size(H, k, stride, pad), cnn.output_size(Wd, k, stride, pad)
    x_pad = padded(x, pad)
    out = np.empty((N, F, out_h, out_w))
    for n in range(N):
        for f in range(F):
            for i in range(out_h):
                for j in range(out_w):
                    window = x_pad[n, :, i * stride:i * stride + k, j * stride:j * stride + k]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def conv_backward_full_loop(dout, x, W, b, stride=1, pad=0):
    """conv_backward with a Python loop over samples, filters and positions."""
    N, _, H, Wd = x.shape
    F, _, k, _ = W.shape
    x_pad = padded(x, pad)
    dx_pad, dW = np.zeros_like(x_pad), np.zeros_like(W)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows, cols = slice(i * stride, i * stride + k), slice(j * stride, j * stride + k)
                    dW[f] += x_pad[n, :, rows, cols] * dout[n, f, i, j]
                    dx_pad[n, :, rows, cols] += W[f] * dout[n, f, i, j]
    return dx_pad[:, :, pad:pad + H, pad:pad + Wd], dW, dout.sum(axis=(0, 2, 3))


@contextlib.contextmanager
def convolution(forward, backward):
    """Make cnn_fit use other conv_forward and conv_backward functions for a while."""
    saved = cnn.conv_forward, cnn.conv_backward
    cnn.conv_forward, cnn.conv_backward = forward, backward
    try:
        yield
    finally:
        cnn.conv_forward, cnn.conv_backward = saved


# ------------------------------------------------------------------ one step

def digits_batch(size=32):
    X, y = data.load_digit_images()
    return X[:size], y[:size]


def numpy_step_seconds(steps, X, y):
    """CPU seconds per cnn_fit step (loss, gradients, momentum update) on one batch."""
    params = cnn.init_cnn(X.shape[1:], CNN_FIT['num_filters'], CNN_FIT['filter_size'],
                          CNN_FIT['hidden_dim'], 10, seed=0)
    velocity = {name: np.zeros_like(p) for name, p in params.items()}
    start = time.process_time()
    for _ in range(steps):
        _, grads = cnn.cnn_loss_and_grads(X, y, params, CNN_FIT['reg_lambda'])
        params, velocity = momentum_step(params, grads, velocity, CNN_FIT['epsilon'], CNN_FIT['momentum'])
    return (time.process_time() - start) / steps


# The same network and step in PyTorch, float64, one thread; it answers "steps N" on stdin
# with the CPU seconds per step.
TORCH_WORKER = r'''
import sys, time
import numpy as np
import torch
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
X = torch.from_numpy(np.load(sys.argv[1]))
y = torch.from_numpy(np.load(sys.argv[2]))
F, k, hidden, lr, momentum, reg = (float(v) for v in sys.argv[3:9])
F, k, hidden = int(F), int(k), int(hidden)
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(X.shape[1], F, k, padding=(k - 1) // 2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(F * (X.shape[2] // 2) * (X.shape[3] // 2), hidden),
    torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
weights = [p for name, p in model.named_parameters() if name.endswith('weight')]
def step():
    optimiser.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(X), y)
    loss = loss + 0.5 * reg * sum((w ** 2).sum() for w in weights)
    loss.backward()
    optimiser.step()
print(torch.__version__, flush=True)
for line in sys.stdin:
    steps = int(line.split()[1])
    start = time.process_time()
    for _ in range(steps):
        step()
    print((time.process_time() - start) / steps, flush=True)
'''


def step_timings(torch_python, rounds=15, steps=100):
    """Median CPU microseconds per step of the reference and of PyTorch, timed in turns.

    Returns:
    - (numpy_us, torch_us or None, torch version or None)
    """
    X, y = digits_batch(32)
    numpy_step_seconds(20, X, y)                        # warm up
    if not torch_python:
        return np.median([numpy_step_seconds(steps, X, y) for _ in range(rounds)]) * 1e6, None, None
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / 'X.npy', X)
        np.save(Path(tmp) / 'y.npy', y)
        args = [str(CNN_FIT[name]) for name in ('num_filters', 'filter_size', 'hidden_dim',
                                                 'epsilon', 'momentum', 'reg_lambda')]
        worker = subprocess.Popen([torch_python, '-c', TORCH_WORKER, str(Path(tmp) / 'X.npy'),
                                   str(Path(tmp) / 'y.npy'), *args],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env={'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1',
                                       'PATH': '/usr/bin:/bin'})
        version = worker.stdout.readline().strip()

        def torch_seconds(n):
            worker.stdin.write(f'steps {n}\n')
            worker.stdin.flush()
            return float(worker.stdout.readline())

        torch_seconds(20)                               # warm up
        ours, theirs = [], []
        for _ in range(rounds):                         # in turns: both see the same machine load
            ours.append(numpy_step_seconds(steps, X, y))
            theirs.append(torch_seconds(steps))
        worker.stdin.close()
        worker.wait()
    return np.median(ours) * 1e6, np.median(theirs) * 1e6, version


# ------------------------------------------------------------------ report

def row(name, setting, results):
    accuracies, seconds = np.array([r[0] for r in results]), np.array([r[1] for r in results])
    return (f'| {name} | {setting} | {accuracies.mean():.3f} | {accuracies.min():.3f} | '
            f'{accuracies.max():.3f} | {np.median(seconds):.2f} |')


def describe(kwargs):
    return ', '.join(f'{key} {value}' for key, value in kwargs.items())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seeds', type=int, default=20)
    parser.add_argument('--loop-seeds', type=int, default=3, help='fits timed with the looped convolution')
    parser.add_argument('--torch', default=None, help='a Python interpreter that can import torch')
    args = parser.parse_args(argv)
    seeds = range(args.seeds)
    tuned = mlp.tuned_hyperparameters()

    print(f'Held-out accuracy over {args.seeds} seeds (seed s: data split and `seed`), '
          'median CPU seconds per fit, one BLAS thread.\n')
    print('| task | setting | mean | min | max | CPU s |')
    print('|---|---|---|---|---|---|')
    print(row('CNN, digit images 70/30', describe(CNN_FIT), [cnn_digits(s) for s in seeds]), flush=True)
    layers = f'layers [64, {", ".join(map(str, MLP_DIGITS_HIDDEN))}, 10]'
    print(row('MLP, digits 70/30', f'{layers}, {describe(MLP_DIGITS_FIT)}',
              [mlp_digits(s) for s in seeds]), flush=True)
    print(row('MLP, digits 70/30', f'{layers}, same without batch norm and dropout',
              [mlp_digits(s, batchnorm=False, keep_prob=1.0) for s in seeds]), flush=True)
    print(row('tuning task, defaults', 'mlp_fit defaults, hidden_sizes [32]',
              [tuning_task(s, {}) for s in seeds]), flush=True)
    print(row('tuning task, tuned', describe(tuned), [tuning_task(s, tuned) for s in seeds]), flush=True)
    for setting in budget_extremes():
        print(row('tuning task, edge of the budget', describe(setting),
                  [tuning_task(s, setting) for s in seeds[:3]]), flush=True)

    print('\ncnn_fit on the digit images with the settings above, CPU seconds per fit (median):\n')
    print('| convolution | CPU s per fit | vs reference |')
    print('|---|---|---|')
    reference = np.median([cnn_digits(s)[1] for s in range(args.loop_seeds)])
    print(f'| reference (im2col) | {reference:.2f} | 1x |', flush=True)
    with convolution(conv_forward_position_loop, conv_backward_position_loop):
        looped = np.median([cnn_digits(s)[1] for s in range(args.loop_seeds)])
    print(f'| loop over output positions, vectorised over N and F | {looped:.2f} | {looped / reference:.1f}x |',
          flush=True)
    X, y = digits_batch(32)
    with convolution(conv_forward_full_loop, conv_backward_full_loop):
        per_step = numpy_step_seconds(3, X, y)
    steps = CNN_FIT['num_epochs'] * -(-len(digit_images_split(0)[2]) // CNN_FIT['batch_size'])
    full = per_step * steps
    print(f'| loop over samples, filters and positions (from 3 steps x {steps}) | {full:.0f} | '
          f'{full / reference:.0f}x |', flush=True)

    numpy_us, torch_us, version = step_timings(args.torch)
    print('\nOne training step (loss, gradients, momentum update) on 32 digit images, '
          'median CPU microseconds:\n')
    print('| implementation | CPU us per step |')
    print('|---|---|')
    print(f'| reference (numpy) | {numpy_us:.0f} |')
    if torch_us is not None:
        print(f'| PyTorch {version}, float64, one thread, timed in turns | {torch_us:.0f} |')
        print(f'| ratio reference / PyTorch | {numpy_us / torch_us:.2f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
