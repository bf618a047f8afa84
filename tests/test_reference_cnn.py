"""The reference CNN (part 6) against naive loops, centered differences and its recipes.

The naive versions below loop over every sample, filter, output position and kernel
offset, exactly as the formulas of the contract read; they share no code with
solution/cnn.py.
"""

import numpy as np
import pytest

from assignment import data
from grader import tasks
from grader.engine.gradcheck import numerical_gradient, numerical_gradients, relative_error
from grader.spec import TASKS
from solution import cnn, two_layer

# Each evaluation of a loss that sums hundreds of products carries a rounding error of
# about 1e-16 * |f|; divided by 2h that is up to ~1e-10 absolute, a relative error just
# above 1e-7 on the entries whose gradient is itself below 1e-3. A wrong gradient is off
# by more than 1e-2.
TOLERANCE = 1e-6
KINK = 1e-3


# ------------------------------------------------------------------ naive loops

def naive_conv_forward(x, W, b, stride, pad):
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h, out_w = 1 + (H + 2 * pad - k) // stride, 1 + (Wd + 2 * pad - k) // stride
    out = np.zeros((N, F, out_h, out_w))
    for n in range(N):
        for f in range(F):
            for i in range(out_h):
                for j in range(out_w):
                    total = b[f]
                    for c in range(C):
                        for p in range(k):
                            for q in range(k):
                                total += x_pad[n, c, i * stride + p, j * stride + q] * W[f, c, p, q]
                    out[n, f, i, j] = total
    return out


def naive_conv_backward(dout, x, W, stride, pad):
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dW, db = np.zeros_like(x_pad), np.zeros_like(W), np.zeros(F)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    db[f] += dout[n, f, i, j]
                    for c in range(C):
                        for p in range(k):
                            for q in range(k):
                                row, col = i * stride + p, j * stride + q
                                dW[f, c, p, q] += x_pad[n, c, row, col] * dout[n, f, i, j]
                                dx_pad[n, c, row, col] += W[f, c, p, q] * dout[n, f, i, j]
    return dx_pad[:, :, pad:pad + H, pad:pad + Wd], dW, db


def first_argmax(window):
    """(p, q) of the first maximum in row-major order, by explicit scanning."""
    best, where = -np.inf, None
    for p in range(window.shape[0]):
        for q in range(window.shape[1]):
            if window[p, q] > best:         # strict: a later equal value does not win
                best, where = window[p, q], (p, q)
    return where


def naive_maxpool(x, size, stride, dout=None):
    """Forward (dout None) or backward of max-pooling, one window at a time."""
    N, C, H, W = x.shape
    out_h, out_w = 1 + (H - size) // stride, 1 + (W - size) // stride
    out, dx = np.zeros((N, C, out_h, out_w)), np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
                    p, q = first_argmax(window)
                    out[n, c, i, j] = window[p, q]
                    if dout is not None:
                        dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]
    return out if dout is None else dx


def naive_cnn_loss(X, y, params, reg_lambda):
    k = params['W1'].shape[2]
    conv = naive_conv_forward(X, params['W1'], params['b1'], 1, (k - 1) // 2)
    pooled = naive_maxpool(np.maximum(conv, 0), 2, 2)
    hidden = np.maximum(pooled.reshape(len(X), -1) @ params['W2'] + params['b2'], 0)
    scores = hidden @ params['W3'] + params['b3']
    log_probs = scores - scores.max(axis=1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    penalty = sum(np.sum(params[w] ** 2) for w in ('W1', 'W2', 'W3'))
    return -log_probs[np.arange(len(y)), y].mean() + 0.5 * reg_lambda * penalty, conv, pooled, hidden


# ---------------------------------------------------------------- convolution

# (N, C, H, W, F, k, stride, pad): stride 1 and 2, pad 0, 1 and 2, k 1, 3 and 5, H != W.
CONV_CASES = [
    (2, 3, 5, 7, 4, 3, 1, 1),
    (2, 2, 7, 5, 3, 3, 2, 0),
    (1, 3, 6, 8, 2, 5, 1, 2),
    (2, 2, 5, 9, 3, 1, 2, 0),
    (3, 1, 4, 6, 2, 3, 1, 0),
    (2, 2, 6, 4, 3, 5, 1, 2),
    (2, 3, 7, 9, 2, 3, 2, 1),
    (1, 2, 5, 5, 2, 1, 1, 1),
]


def conv_case(case, seed=0):
    N, C, H, W, F, k, stride, pad = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, k, k))
    b = rng.standard_normal(F)
    out_h, out_w = 1 + (H + 2 * pad - k) // stride, 1 + (W + 2 * pad - k) // stride
    assert (H + 2 * pad - k) % stride == 0 and (W + 2 * pad - k) % stride == 0, 'exact division'
    dout = rng.standard_normal((N, F, out_h, out_w))
    return x, w, b, dout, stride, pad


@pytest.mark.parametrize('case', CONV_CASES, ids=str)
def test_conv_forward_matches_the_loops(case):
    x, w, b, _, stride, pad = conv_case(case)
    out = cnn.conv_forward(x, w, b, stride, pad)
    expected = naive_conv_forward(x, w, b, stride, pad)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('case', CONV_CASES, ids=str)
def test_conv_backward_matches_the_loops(case):
    x, w, b, dout, stride, pad = conv_case(case, seed=1)
    dx, dW, db = cnn.conv_backward(dout, x, w, b, stride, pad)
    expected = naive_conv_backward(dout, x, w, stride, pad)
    for name, got, want in zip(('dx', 'dW', 'db'), (dx, dW, db), expected):
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize('case', CONV_CASES, ids=str)
def test_conv_backward_is_the_numerical_gradient(case):
    x, w, b, dout, stride, pad = conv_case(case, seed=2)
    dx, dW, db = cnn.conv_backward(dout, x, w, b, stride, pad)
    f = lambda: float(np.sum(cnn.conv_forward(x, w, b, stride, pad) * dout))
    numeric = numerical_gradients(f, {'x': x, 'W': w, 'b': b})
    for name, analytic in (('x', dx), ('W', dW), ('b', db)):
        assert relative_error(analytic, numeric[name]) < TOLERANCE, name


def test_conv_is_a_cross_correlation_not_a_flipped_convolution():
    x = np.arange(30.0).reshape(1, 1, 5, 6)
    for p, q in [(0, 0), (0, 2), (2, 1)]:
        w = np.zeros((1, 1, 3, 3))
        w[0, 0, p, q] = 1.0                 # picks pixel (i + p, j + q) of every window
        out = cnn.conv_forward(x, w, np.zeros(1))
        np.testing.assert_array_equal(out[0, 0], x[0, 0, p:p + 3, q:q + 4])


def test_conv_pads_with_zeros_and_adds_one_bias_per_filter():
    x = np.ones((1, 1, 3, 3))
    w = np.ones((2, 1, 3, 3))
    out = cnn.conv_forward(x, w, np.array([0.0, 10.0]), stride=1, pad=1)
    # Each output counts the real (unpadded) pixels its window covers.
    counts = np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]], dtype=float)
    np.testing.assert_array_equal(out[0, 0], counts)
    np.testing.assert_array_equal(out[0, 1], counts + 10)


@pytest.mark.parametrize('case', CONV_CASES, ids=str)
def test_col2im_is_the_transpose_of_im2col(case):
    x, w, _, _, stride, pad = conv_case(case, seed=3)
    k = w.shape[2]
    cols = cnn.im2col(x, k, stride, pad)
    dcols = np.random.default_rng(4).standard_normal(cols.shape)
    assert cols.shape[1] == x.shape[1] * k * k
    assert np.isclose(np.sum(cols * dcols), np.sum(x * cnn.col2im(dcols, x.shape, k, stride, pad)))


# ---------------------------------------------------------------- max-pooling

# (shape, size, stride): non-overlapping and overlapping windows (stride < size).
POOL_CASES = [((2, 3, 4, 6), 2, 2), ((2, 2, 6, 4), 3, 3), ((2, 2, 5, 7), 3, 2),
              ((1, 3, 5, 5), 2, 1), ((2, 1, 6, 8), 2, 2)]


@pytest.mark.parametrize('shape, size, stride', POOL_CASES, ids=str)
def test_maxpool_matches_the_loops(shape, size, stride):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape)
    out = cnn.maxpool_forward(x, size, stride)
    np.testing.assert_array_equal(out, naive_maxpool(x, size, stride))
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(cnn.maxpool_backward(dout, x, size, stride),
                               naive_maxpool(x, size, stride, dout), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('shape, size, stride', POOL_CASES, ids=str)
def test_maxpool_backward_is_the_numerical_gradient(shape, size, stride):
    rng = np.random.default_rng(6)
    # Distinct values at least 1e-2 apart, so that no step of h changes a window's winner.
    x = rng.permutation(np.prod(shape)).reshape(shape) * 1e-2
    dout = rng.standard_normal(cnn.maxpool_forward(x, size, stride).shape)
    numeric = numerical_gradient(lambda: float(np.sum(cnn.maxpool_forward(x, size, stride) * dout)), x)
    assert relative_error(cnn.maxpool_backward(dout, x, size, stride), numeric) < TOLERANCE


@pytest.mark.parametrize('shape, size, stride', POOL_CASES, ids=str)
def test_maxpool_ties_go_to_the_first_maximum_in_row_major_order(shape, size, stride):
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, shape).astype(float)         # many equal maxima
    dout = rng.standard_normal(cnn.maxpool_forward(x, size, stride).shape)
    np.testing.assert_allclose(cnn.maxpool_backward(dout, x, size, stride),
                               naive_maxpool(x, size, stride, dout), rtol=1e-12, atol=1e-12)


def test_maxpool_of_a_constant_image_sends_everything_to_each_window_corner():
    x = np.zeros((1, 1, 4, 4))
    dx = cnn.maxpool_backward(np.ones((1, 1, 2, 2)), x, 2, 2)
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1.0
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_overlapping_windows_add_up_where_they_share_a_maximum():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0                     # the centre is the maximum of all four windows
    dx = cnn.maxpool_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), x, 2, 1)
    assert dx[0, 0, 1, 1] == 10.0 and np.count_nonzero(dx) == 1


# ---------------------------------------------------------------- the network

def test_init_cnn_follows_the_recipe():
    params = cnn.init_cnn((2, 6, 4), num_filters=3, filter_size=5, hidden_dim=7, num_classes=4, seed=11)
    rng = np.random.default_rng(11)
    W1 = rng.standard_normal((3, 2, 5, 5)) / np.sqrt(2 * 5 * 5)
    W2 = rng.standard_normal((3 * 3 * 2, 7)) / np.sqrt(3 * 3 * 2)
    W3 = rng.standard_normal((7, 4)) / np.sqrt(7)
    expected = {'W1': W1, 'b1': np.zeros(3), 'W2': W2, 'b2': np.zeros((1, 7)),
                'W3': W3, 'b3': np.zeros((1, 4))}
    assert params.keys() == expected.keys()
    for name, value in expected.items():
        assert params[name].shape == value.shape, name
        np.testing.assert_allclose(params[name], value, rtol=1e-12, atol=0, err_msg=name)
    other = cnn.init_cnn((2, 6, 4), 3, 5, 7, 4, seed=12)
    assert not np.allclose(other['W1'], params['W1'])


def small_network(seed, k=3, shape=(3, 2, 4, 6), filters=3, hidden=5, classes=4):
    """Images, labels and perturbed params whose relu inputs and pooling winners avoid kinks.

    Redraws until every conv output and hidden pre-activation is more than KINK from 0
    and every pooling window's largest relu output leads its runner-up by more than KINK.
    """
    rng = np.random.default_rng(seed)
    for _ in range(100):
        X = rng.standard_normal(shape)
        y = rng.integers(0, classes, shape[0])
        params = cnn.init_cnn(shape[1:], filters, k, hidden, classes, seed=int(rng.integers(1000)))
        params['b1'] = rng.standard_normal(filters) * 0.1
        params['b2'] = rng.standard_normal((1, hidden)) * 0.1
        params['b3'] = rng.standard_normal((1, classes)) * 0.1
        _, conv, pooled, _ = naive_cnn_loss(X, y, params, 0.0)
        z2 = pooled.reshape(len(X), -1) @ params['W2'] + params['b2']
        windows = np.sort(np.maximum(conv, 0).reshape(*conv.shape[:2], conv.shape[2] // 2, 2,
                                                       conv.shape[3] // 2, 2)
                          .transpose(0, 1, 2, 4, 3, 5).reshape(*conv.shape[:2], -1, 4), axis=-1)
        lead = windows[..., -1] - windows[..., -2]
        if (np.min(np.abs(conv)) > KINK and np.min(np.abs(z2)) > KINK
                and np.all((lead > KINK) | (windows[..., -1] == 0))):
            return X, y, params
    raise AssertionError('no network clear of the kinks')


@pytest.mark.parametrize('k', [1, 3, 5])
@pytest.mark.parametrize('reg', [0.0, 0.1])
def test_cnn_loss_matches_the_loops_and_its_gradients_the_numerical_ones(k, reg):
    X, y, params = small_network(seed=k, k=k)
    loss, grads = cnn.cnn_loss_and_grads(X, y, params, reg)
    assert isinstance(loss, float)
    assert np.isclose(loss, naive_cnn_loss(X, y, params, reg)[0], rtol=1e-12)
    assert grads.keys() == params.keys()
    numeric = numerical_gradients(lambda: cnn.cnn_loss_and_grads(X, y, params, reg)[0], params)
    for name in params:
        assert grads[name].shape == params[name].shape, name
        assert relative_error(grads[name], numeric[name]) < TOLERANCE, name


def test_cnn_classes_come_from_W3_not_from_the_labels():
    X, _, params = small_network(seed=8, classes=4)
    y = np.zeros(len(X), dtype=np.int64)    # a batch holding class 0 only
    _, grads = cnn.cnn_loss_and_grads(X, y, params)
    assert grads['W3'].shape == params['W3'].shape


def test_cnn_predict_is_the_argmax_of_the_naive_scores():
    X, _, params = small_network(seed=9)
    _, _, _, hidden = naive_cnn_loss(X, np.zeros(len(X), dtype=int), params, 0.0)
    labels = cnn.cnn_predict(X, params)
    assert labels.shape == (len(X),) and np.issubdtype(labels.dtype, np.integer)
    np.testing.assert_array_equal(labels, np.argmax(hidden @ params['W3'] + params['b3'], axis=1))


# ---------------------------------------------------------------- training

def test_cnn_fit_batches_are_slices_of_one_permutation_per_epoch(monkeypatch):
    N, batch_size, epochs, seed = 50, 16, 3, 4
    X = np.random.default_rng(0).standard_normal((N, 1, 4, 4))
    X[:, 0, 0, 0] = np.arange(N)            # every image carries its own index
    y = np.arange(N) % 3
    seen = []
    real = cnn.cnn_loss_and_grads

    def spy(Xb, yb, params, reg_lambda=0.0):
        seen.append(Xb[:, 0, 0, 0].astype(int))
        return real(Xb, yb, params, reg_lambda)

    monkeypatch.setattr(cnn, 'cnn_loss_and_grads', spy)
    _, losses = cnn.cnn_fit(X, y, num_filters=2, hidden_dim=4, num_epochs=epochs,
                            batch_size=batch_size, seed=seed)
    rng = np.random.default_rng(seed)
    expected = []
    for _ in range(epochs):
        order = rng.permutation(N)
        expected += [order[start:start + batch_size] for start in range(0, N, batch_size)]
    assert len(seen) == len(expected) == len(losses) == epochs * 4
    for got, want in zip(seen, expected):
        np.testing.assert_array_equal(got, want)


def test_cnn_fit_replays_momentum_steps_from_init_cnn():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((20, 2, 4, 4)), rng.integers(0, 3, 20)
    kwargs = dict(num_filters=2, filter_size=3, hidden_dim=5, epsilon=0.1, momentum=0.8,
                  reg_lambda=0.01, num_epochs=2, batch_size=8, seed=3)
    params, losses = cnn.cnn_fit(X, y, **kwargs)

    expected = cnn.init_cnn((2, 4, 4), 2, 3, 5, 3, seed=3)
    velocity = {name: np.zeros_like(p) for name, p in expected.items()}
    shuffle, expected_losses = np.random.default_rng(3), []
    for _ in range(2):
        order = shuffle.permutation(20)
        for start in range(0, 20, 8):
            batch = order[start:start + 8]
            loss, grads = cnn.cnn_loss_and_grads(X[batch], y[batch], expected, 0.01)
            expected_losses.append(loss)
            expected, velocity = two_layer.momentum_step(expected, grads, velocity, 0.1, 0.8)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
    for name in expected:
        np.testing.assert_allclose(params[name], expected[name], rtol=1e-10, atol=1e-12, err_msg=name)
    again, _ = cnn.cnn_fit(X, y, **kwargs)
    for name in params:
        np.testing.assert_array_equal(again[name], params[name])


def test_load_digit_images_are_the_digits_as_one_channel_images():
    X, y = data.load_digit_images()
    flat, labels = data.load_digits()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    np.testing.assert_array_equal(X.reshape(1797, 64), flat)
    np.testing.assert_array_equal(y, labels)
    # Row i of the image is pixels 8i..8i+7 of the flat vector (row-major, as sklearn stores it).
    np.testing.assert_array_equal(X[5, 0, 2], flat[5, 16:24])


def test_cnn_learns_the_digits_on_held_out_images():
    task, accuracies = TASKS['cnn digits'], []
    for seed in range(2):
        X_train, X_test, y_train, y_test = tasks.dataset(task, seed)
        assert X_train.shape[1:] == (1, 8, 8) and len(X_train) + len(X_test) == 1797
        params, losses = cnn.cnn_fit(X_train, y_train, seed=seed, **task.fit)
        assert len(losses) == task.fit['num_epochs'] * -(-len(y_train) // task.fit['batch_size'])
        assert np.all(np.isfinite(losses)) and np.mean(losses[-20:]) < 0.2 * losses[0]
        accuracies.append(np.mean(cnn.cnn_predict(X_test, params) == y_test))
    assert np.mean(accuracies) >= 0.95, accuracies
