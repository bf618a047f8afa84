"""The CNN's speed: a training step of the reference against PyTorch's, and cnn_fit with the
convolutions a student may write.

- one step (loss, gradients, momentum update) of the reference on 32 digit images, and of
  the same network in PyTorch (CPU, float64, one thread), timed in turns in one run: the
  ratio. PyTorch is a benchmark-only dependency: `make bench` installs it into its own
  environment (bench/torch-venv), never into .venv;
- cnn_fit on the grader's CNN task with a convolution written as a Python loop over the
  output positions (vectorised over N and F), and one that loops over samples and filters
  too, against the reference: whether such code fits the training tests' time limit.

Usage: python -m bench.cnn [--torch PYTHON] [--repeats 3]   (prints JSON)
"""

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assignment import data
from grader import tasks
from grader.spec import TASKS
from solution import cnn
from solution.two_layer import momentum_step

TASK = TASKS['cnn digits']
FIT = TASK.fit


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
    """Make the reference's cnn_fit use other conv_forward and conv_backward functions for a while."""
    saved = cnn.conv_forward, cnn.conv_backward
    cnn.conv_forward, cnn.conv_backward = forward, backward
    try:
        yield
    finally:
        cnn.conv_forward, cnn.conv_backward = saved


def fit_seconds(repeats):
    """Median CPU seconds of the CNN task's cnn_fit on seed 0, and its held-out accuracy."""
    seconds, accuracy = [], None
    for _ in range(repeats):
        start = time.process_time()
        accuracy, _ = tasks.evaluate(TASK, tasks.reference(), 0)
        seconds.append(time.process_time() - start)
    return float(np.median(seconds)), accuracy


def digits_batch(size=32):
    """The first `size` digit images and their labels."""
    X, y = data.load_digit_images()
    return X[:size], y[:size]


def numpy_step_seconds(steps, X, y):
    """CPU seconds per cnn_fit step (loss, gradients, momentum update) on one batch."""
    params = cnn.init_cnn(X.shape[1:], FIT['num_filters'], FIT['filter_size'],
                          FIT['hidden_dim'], 10, seed=0)
    velocity = {name: np.zeros_like(p) for name, p in params.items()}
    start = time.process_time()
    for _ in range(steps):
        _, grads = cnn.cnn_loss_and_grads(X, y, params, FIT['reg_lambda'])
        params, velocity = momentum_step(params, grads, velocity, FIT['epsilon'], FIT['momentum'])
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
        args = [str(FIT[name]) for name in ('num_filters', 'filter_size', 'hidden_dim',
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



def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--torch', help='a Python interpreter that can import torch')
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args(argv)
    reference, accuracy = fit_seconds(args.repeats)
    with convolution(conv_forward_position_loop, conv_backward_position_loop):
        looped, _ = fit_seconds(args.repeats)
    X, y = digits_batch(32)
    with convolution(conv_forward_full_loop, conv_backward_full_loop):
        per_step = numpy_step_seconds(3, X, y)
    steps = FIT['num_epochs'] * -(-len(tasks.dataset(TASK, 0)[2]) // FIT['batch_size'])
    numpy_us, torch_us, version = step_timings(args.torch)
    print(json.dumps({
        'fit_cpu_s': round(reference, 2), 'accuracy': round(accuracy, 3),
        'position_loop_fit_cpu_s': round(looped, 2), 'full_loop_fit_cpu_s_estimate': round(per_step * steps),
        'step_us': round(numpy_us), 'torch_step_us': round(torch_us) if torch_us else None,
        'torch_version': version, 'ratio_to_torch': round(numpy_us / torch_us, 2) if torch_us else None}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
