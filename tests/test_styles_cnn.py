"""Correct cnn.py submissions written unlike the reference keep every point of Part 6 (and
lose none elsewhere): convolutions and pooling by loops over positions and windows, im2col
by index arrays, pooling windows as views with an argmax mask, and a network of layer
classes. Each style's functions are appended to a copy of the reference, so that they
replace its own everywhere, the network's calls included."""

import numpy as np
import pytest

from grader.engine import grading
from grader.spec import SPEC
from tests.submissions import build, failed

# Parts 1-6: cnn.py's edits cannot reach parts 7-8 (mlp.py imports nothing of it).
OFFERING = SPEC.offering([part.number for part in SPEC.parts if part.number <= 6])

# A loop over the output positions, vectorised over samples and filters; pooling by a loop
# over the windows; init by rng.normal with the scale; a fit that keeps the opposite velocity
# u = -v, steps through the batches with a while loop and returns its losses as a list.
LOOPS = '''
def _zero_border(x, pad):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    out[:, :, pad:pad + H, pad:pad + W] = x
    return out


def conv_forward(x, W, b, stride=1, pad=0):
    N = x.shape[0]
    F, C, k, _ = W.shape
    xp = _zero_border(x, pad)
    Ho = (xp.shape[2] - k) // stride + 1
    Wo = (xp.shape[3] - k) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    flat = W.reshape(F, C * k * k)
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k].reshape(N, -1)
            out[:, :, i, j] = patch.dot(flat.T) + b
    return out


def conv_backward(dout, x, W, b, stride=1, pad=0):
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    xp = _zero_border(x, pad)
    dxp = np.zeros(xp.shape)
    dW = np.zeros(W.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            r, c = i * stride, j * stride
            g = dout[:, :, i, j]
            dW += np.tensordot(g, xp[:, :, r:r + k, c:c + k], axes=([0], [0]))
            dxp[:, :, r:r + k, c:c + k] += np.tensordot(g, W, axes=([1], [0]))
    db = np.array([dout[:, f].sum() for f in range(F)])
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, db


def maxpool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(2, 3))
    return out


def maxpool_backward(dout, x, size=2, stride=2):
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing='ij')
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].reshape(N, C, -1)
            p, q = np.divmod(np.argmax(window, axis=2), size)
            dx[n, c, i * stride + p, j * stride + q] += dout[:, :, i, j]
    return dx


def init_cnn(input_shape, num_filters=8, filter_size=3, hidden_dim=64, num_classes=10, seed=0):
    C, H, W = input_shape
    gen = np.random.default_rng(seed)
    shapes = [(num_filters, C, filter_size, filter_size), (num_filters * (H // 2) * (W // 2), hidden_dim),
              (hidden_dim, num_classes)]
    params = {}
    for l, shape in enumerate(shapes, start=1):
        fan = C * filter_size ** 2 if l == 1 else shape[0]
        params['W%d' % l] = gen.normal(0.0, 1.0 / np.sqrt(fan), size=shape)
        params['b%d' % l] = np.zeros(num_filters) if l == 1 else np.zeros((1, shape[1]))
    return params


def cnn_fit(X, y, num_filters=8, filter_size=3, hidden_dim=64, epsilon=0.05, momentum=0.9,
            reg_lambda=0.0, num_epochs=10, batch_size=32, seed=0):
    params = init_cnn(X.shape[1:], num_filters, filter_size, hidden_dim, int(y.max()) + 1, seed)
    u = {k: np.zeros_like(v) for k, v in params.items()}
    shuffle = np.random.default_rng(seed)
    losses = []
    for epoch in range(num_epochs):
        order = shuffle.permutation(X.shape[0])
        start = 0
        while start < len(order):
            idx = order[start:start + batch_size]
            loss, grads = cnn_loss_and_grads(X[idx], y[idx], params, reg_lambda)
            losses.append(loss)
            for k in params:
                u[k] = momentum * u[k] + epsilon * grads[k]
                params[k] = params[k] - u[k]
            start += batch_size
    return params, losses
'''

# im2col and col2im by index arrays (np.ix_-style fancy indexing, np.add.at), a maxpool over
# im2col's rows, a loss by logsumexp, and int32 labels.
INDEX_ARRAYS = '''
def _indices(C, H, W, k, stride, pad):
    Ho = (H + 2 * pad - k) // stride + 1
    Wo = (W + 2 * pad - k) // stride + 1
    rows = (np.arange(Ho) * stride)[:, None, None, None, None] + np.arange(k)[None, None, None, :, None]
    cols = (np.arange(Wo) * stride)[None, :, None, None, None] + np.arange(k)[None, None, None, None, :]
    chans = np.arange(C)[None, None, :, None, None]
    return Ho, Wo, np.broadcast_arrays(chans, rows, cols)


def im2col(x, k, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    Ho, Wo, (c, r, q) = _indices(C, H, W, k, stride, pad)
    return xp[:, c, r, q].reshape(N * Ho * Wo, C * k * k)


def col2im(cols, x_shape, k, stride=1, pad=0):
    N, C, H, W = x_shape
    Ho, Wo, (c, r, q) = _indices(C, H, W, k, stride, pad)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    n = np.arange(N)[:, None, None, None, None, None]
    np.add.at(dxp, (n, c[None], r[None], q[None]), cols.reshape(N, Ho, Wo, C, k, k))
    return dxp[:, :, pad:pad + H, pad:pad + W]


def cnn_loss_and_grads(X, y, params, reg_lambda=0.0):
    scores, cache = cnn_forward(X, params)
    top = scores.max(axis=1, keepdims=True)
    log_probs = scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
    N = X.shape[0]
    loss = -log_probs[np.arange(N), y].mean()
    loss += reg_lambda / 2 * sum((params[w] ** 2).sum() for w in ('W1', 'W2', 'W3'))
    d = np.exp(log_probs)
    d[np.arange(N), y] -= 1
    d /= N
    grads = {'W3': cache['a2'].T @ d + reg_lambda * params['W3'], 'b3': d.sum(0, keepdims=True)}
    dz2 = d @ params['W3'].T * (cache['z2'] > 0)
    grads['W2'] = cache['flat'].T @ dz2 + reg_lambda * params['W2']
    grads['b2'] = dz2.sum(0, keepdims=True)
    dpool = (dz2 @ params['W2'].T).reshape(cache['pooled'].shape)
    dconv = maxpool_backward(dpool, cache['conv_relu'], 2, 2) * (cache['conv'] > 0)
    k = params['W1'].shape[-1]
    _, dW1, grads['b1'] = conv_backward(dconv, X, params['W1'], params['b1'], 1, k // 2)
    grads['W1'] = dW1 + reg_lambda * params['W1']
    return loss, grads


def cnn_predict(X, params):
    return cnn_forward(X, params)[0].argmax(axis=1).astype(np.int32)
'''

# Pooling windows as views (sliding_window_view) with an argmax mask scattered by np.add.at,
# and a convolution by einsum over the same views; dx by a loop over the k*k kernel offsets.
WINDOW_VIEWS = '''
from numpy.lib.stride_tricks import sliding_window_view


def conv_forward(x, W, b, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = W.shape[-1]
    windows = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum('nchwpq,fcpq->nfhw', windows, W) + b[None, :, None, None]


def conv_backward(dout, x, W, b, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = W.shape[-1]
    Ho, Wo = dout.shape[2:]
    windows = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    dW = np.einsum('nfhw,nchwpq->fcpq', dout, windows)
    dxp = np.zeros_like(xp)
    for p in range(k):
        for q in range(k):
            rows, cols = slice(p, p + stride * Ho, stride), slice(q, q + stride * Wo, stride)
            dxp[:, :, rows, cols] += np.einsum('nfhw,fc->nchw', dout, W[:, :, p, q])
    H, Wd = x.shape[2:]
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, np.einsum('nfhw->f', dout)


def _pool_windows(x, size, stride):
    v = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    return v.reshape(*v.shape[:4], size * size)


def maxpool_forward(x, size=2, stride=2):
    return _pool_windows(x, size, stride).max(axis=-1)


def maxpool_backward(dout, x, size=2, stride=2):
    flat = _pool_windows(x, size, stride)
    best = flat.argmax(axis=-1)
    mask = best[..., None] == np.arange(size * size)
    N, C, Ho, Wo = dout.shape
    n, c, i, j, s = np.nonzero(mask)
    dx = np.zeros_like(x)
    np.add.at(dx, (n, c, i * stride + s // size, j * stride + s % size), dout[n, c, i, j])
    return dx
'''

# A network of layer objects, each with forward and backward, built from the params.
CLASSES = '''
class Conv:
    def __init__(self, W, b):
        self.W, self.b, self.pad = W, b, (W.shape[2] - 1) // 2

    def forward(self, x):
        self.x = x
        return conv_forward(x, self.W, self.b, 1, self.pad)

    def backward(self, dout):
        return conv_backward(dout, self.x, self.W, self.b, 1, self.pad)


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Pool:
    def forward(self, x):
        self.x = x
        return maxpool_forward(x, 2, 2)

    def backward(self, dout):
        return maxpool_backward(dout, self.x, 2, 2)


class Flatten:
    def forward(self, x):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.shape)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        return dout @ self.W.T, self.x.T @ dout, dout.sum(axis=0, keepdims=True)


class Network:
    def __init__(self, params):
        self.conv, self.relu1, self.pool, self.flatten = Conv(params['W1'], params['b1']), ReLU(), Pool(), Flatten()
        self.fc1, self.relu2, self.fc2 = Affine(params['W2'], params['b2']), ReLU(), Affine(params['W3'], params['b3'])
        self.params = params

    def scores(self, X):
        out = X
        for layer in (self.conv, self.relu1, self.pool, self.flatten, self.fc1, self.relu2, self.fc2):
            out = layer.forward(out)
        return out

    def loss_and_grads(self, X, y, reg):
        probs = softmax(self.scores(X))
        target = np.eye(self.params['W3'].shape[1])[y]
        penalty = sum(np.sum(self.params[w] * self.params[w]) for w in ('W1', 'W2', 'W3'))
        loss = -np.sum(target * np.log(probs)) / len(X) + 0.5 * reg * penalty
        d, grads = (probs - target) / len(X), {}
        d, grads['W3'], grads['b3'] = self.fc2.backward(d)
        d, grads['W2'], grads['b2'] = self.fc1.backward(self.relu2.backward(d))
        d = self.relu1.backward(self.pool.backward(self.flatten.backward(d)))
        _, grads['W1'], grads['b1'] = self.conv.backward(d)
        for w in ('W1', 'W2', 'W3'):
            grads[w] = grads[w] + reg * self.params[w]
        return loss, grads


def cnn_loss_and_grads(X, y, params, reg_lambda=0.0):
    return Network(params).loss_and_grads(X, y, reg_lambda)


def cnn_predict(X, params):
    return np.argmax(Network(params).scores(X), axis=1)
'''


@pytest.mark.parametrize('source', [LOOPS, INDEX_ARRAYS, WINDOW_VIEWS, CLASSES],
                         ids=['loops over positions and windows', 'im2col by index arrays',
                              'window views and an argmax mask', 'layer classes'])
def test_a_correct_cnn_in_another_style_keeps_every_point(tmp_path, source):
    results = grading.grade(build(tmp_path / 'sub', append={'cnn.py': source}), OFFERING, 'all')
    assert results['score'] == results['extra_data']['max_score'] == OFFERING.points, \
        [(t['name'], t['output']) for t in failed(results)]
