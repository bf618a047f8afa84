"""The mistakes students make in Part 6 (cnn.py), each written once, and the loops that
compute the wrong answers they give.

Every *_mistakes function returns known_mistakes for grader.checks: pairs (the value a
mistake gives on the test's own inputs, the explanation a student reads). A pair is only
shown when the submission's result equals that value, so an explanation never claims a
cause it has not recognised. Some mistakes change a result's shape as well as its values
(a gradient that keeps the padding, a bias gradient of shape (1, F)): cnn_checks.expect_known
recognises those too.

The wrong answers come from the plain loops below, one output position or one pooling
window at a time, written from the contract's formulas; the project's tests check that,
without a mistake, they give the reference's results. The hidden suite calls them on its
random inputs; tools/expected_cnn.py on the public inputs, for expected_cnn.json. The checks
that compute no answer are in grader/suites/public/cnn_checks.py, shipped with the public
suite. Nothing here depends on the reference solution.
"""

import numpy as np

from grader.engine.checks import Cause
from grader.suites.hidden.mistakes import l2_bias_mistakes, l2_gradient_mistakes
from grader.suites.public.cnn_checks import WEIGHTS, expect_cnn_weights, fan_in
from grader.suites.public.dense_checks import GENERATORS, known_scales

from . import initialisation


# ------------------------------------------------------------------ loops of the contract's formulas

def with_zero_border(x, pad):
    """x (N, C, H, W) with `pad` rows and columns of zeros added on each of its four sides."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def loop_conv_forward(x, W, b, stride, pad):
    """The contract's convolution, one output position (i, j) at a time for every n and f."""
    x_pad, (F, _, k, _) = with_zero_border(x, pad), W.shape
    rows = 1 + (x_pad.shape[2] - k) // stride
    columns = 1 + (x_pad.shape[3] - k) // stride
    out, filters = np.empty((len(x), F, rows, columns)), W.reshape(F, -1).T
    for i in range(rows):
        for j in range(columns):
            patch = x_pad[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = patch.reshape(len(x), -1) @ filters + b
    return out


def loop_conv_backward(dout, x, W, stride, pad, step=None, crop=True):
    """(dx, dW, db): the gradients of sum(conv_forward(x, W, b, stride, pad) * dout), one
    output position at a time.

    Inputs:
    - dout, x, W, stride, pad: as conv_backward
    - step: where window (i, j) is taken to start, at (i*step, j*step); the contract's is
      `stride` (another value computes the mistake of ignoring the stride)
    - crop: whether dx drops the padding (without, it has the padded input's shape)
    """
    step = stride if step is None else step
    x_pad, k = with_zero_border(x, pad), W.shape[2]
    dx_pad, dW = np.zeros_like(x_pad), np.zeros(W.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = (slice(None), slice(None), slice(i * step, i * step + k), slice(j * step, j * step + k))
            dW += np.einsum('nf,ncpq->fcpq', dout[:, :, i, j], x_pad[window])
            dx_pad[window] += np.einsum('nf,fcpq->ncpq', dout[:, :, i, j], W)
    height, width = x.shape[2:]
    dx = dx_pad[:, :, pad:pad + height, pad:pad + width] if crop else dx_pad
    return dx, dW, np.einsum('nfij->f', dout)


# How each window's dout entry is shared among the window's entries, (N, C, size*size) weights
# from the window's values (N, C, size*size).
ROUTES = {
    'first': lambda v: np.eye(v.shape[-1])[np.argmax(v, axis=-1)],
    'last': lambda v: np.eye(v.shape[-1])[v.shape[-1] - 1 - np.argmax(v[..., ::-1], axis=-1)],
    'every maximum': lambda v: (v == v.max(axis=-1, keepdims=True)).astype(float),
    'whole window': lambda v: np.ones_like(v),
    'average': lambda v: np.full_like(v, 1.0 / v.shape[-1]),
}


def loop_maxpool(x, size, stride, dout=None, route='first', overlap='add'):
    """Max-pooling one window at a time: the forward pass (dout None) or dx.

    Inputs:
    - x (N, C, H, W), size, stride: as maxpool_forward
    - dout: for the backward pass, (N, C, H', W')
    - route: how a window shares its dout entry, a key of ROUTES ('first' is the contract's)
    - overlap: how a window's share meets what an overlapping window sent before: 'add' (the
      contract's), 'window' (dx[window] = share: the whole window is overwritten, zeros
      included) or 'maximum' (only the pixels the window sends to are overwritten)
    """
    N, C = x.shape[:2]
    rows, columns = 1 + (x.shape[2] - size) // stride, 1 + (x.shape[3] - size) // stride
    out, dx = np.empty((N, C, rows, columns)), np.zeros(x.shape)
    for i in range(rows):
        for j in range(columns):
            where = (slice(None), slice(None), slice(i * stride, i * stride + size),
                     slice(j * stride, j * stride + size))
            values = x[where].reshape(N, C, -1)
            out[:, :, i, j] = values.max(axis=-1)
            if dout is not None:
                routed = ROUTES[route](values)
                share = (routed * dout[:, :, i, j, None]).reshape(N, C, size, size)
                if overlap == 'add':
                    dx[where] += share
                elif overlap == 'window':
                    dx[where] = share
                else:
                    dx[where] = np.where(routed.reshape(share.shape) != 0, share, dx[where])
    return out if dout is None else dx


# ------------------------------------------------------------------ conv_forward and conv_backward

FLIPPED = ('the kernel is flipped, as in a true convolution: the contract\'s "convolution" is deep learning\'s, '
           'a cross-correlation, out[n, f, i, j] = b[f] + sum over c, p, q of '
           'x_pad[n, c, i*stride + p, j*stride + q] * W[f, c, p, q], with W as it is')
STRIDE = ('the stride is ignored: window (i, j) starts at row i*stride and column j*stride of the padded '
          'input')


def conv_forward_mistakes(x, W, b, stride, pad):
    """Known wrong values of conv_forward(x, W, b, stride, pad), of any shape."""
    mistakes = [(loop_conv_forward(x, W[:, :, ::-1, ::-1], b, stride, pad), FLIPPED),
                (loop_conv_forward(x, W, np.zeros_like(b), stride, pad),
                 'the bias b is not added: every output value of filter f gets b[f]')]
    if stride != 1:
        mistakes.append((loop_conv_forward(x, W, b, 1, pad), STRIDE))
    if pad:
        mistakes.append((loop_conv_forward(x, W, b, stride, 0),
                         'the input is not padded: pad rows and columns of zeros go on each of its four sides '
                         'before the windows are cut'))
    right = loop_conv_forward(x, W, b, stride, pad)
    mistakes.append((right.transpose(0, 2, 3, 1).reshape(right.shape), RESHAPED_ROWS))
    return mistakes


RESHAPED_ROWS = ('the (N*H\'*W\', F) product is reshaped straight to (N, F, H\', W\'): its rows are (sample, '
                 'row, column) and its columns the filters, so reshape it to (N, H\', W\', F), then '
                 'transpose(0, 3, 1, 2)')
DOUT_RESHAPED = ('dout is reshaped straight to (N*H\'*W\', F): its axes are (N, F, H\', W\'), so bring the filters '
                 'last first, dout.transpose(0, 2, 3, 1).reshape(-1, F), to get rows in the order of im2col\'s')
COL2IM_ASSIGNED = ('where windows overlap (stride < k), col2im assigns (=) and keeps only one window\'s share of a '
                   'pixel they share: add every window\'s share (+=), as the backward pass of a pixel used by '
                   'several windows')


def col2im_assigned(cols, x_shape, k, stride, pad, by):
    """col2im that assigns instead of adding: by 'offset' (one kernel position at a time, over
    every window) or 'window' (one window at a time); dx (N, C, H, W).

    Inputs:
    - cols: (N * H' * W', C * k * k), laid out as im2col returns
    - x_shape, k, stride, pad: as col2im
    """
    N, C, H, W = x_shape
    rows, columns = 1 + (H + 2 * pad - k) // stride, 1 + (W + 2 * pad - k) // stride
    cols = cols.reshape(N, rows, columns, C, k, k)
    dx = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    if by == 'offset':
        for p in range(k):
            for q in range(k):
                dx[:, :, p:p + stride * rows:stride, q:q + stride * columns:stride] = \
                    cols[:, :, :, :, p, q].transpose(0, 3, 1, 2)
    else:
        for i in range(rows):
            for j in range(columns):
                dx[:, :, i * stride:i * stride + k, j * stride:j * stride + k] = cols[:, i, j]
    return dx[:, :, pad:pad + H, pad:pad + W]


DB_AXES = 'db[f] adds dout[:, f] up over the samples and every output position, the axes (0, 2, 3)'


def conv_backward_mistakes(dout, x, W, stride, pad):
    """Known wrong values of conv_backward(dout, x, W, b, stride, pad): {'dx': [...],
    'dW': [...], 'db': [...]}, of any shape."""
    dx, dW, db = loop_conv_backward(dout, x, W, stride, pad)
    flipped = loop_conv_backward(dout, x, W[:, :, ::-1, ::-1], stride, pad)
    mistakes = {'dx': [(flipped[0], FLIPPED)], 'dW': [(flipped[1][:, :, ::-1, ::-1], FLIPPED)], 'db': []}
    if pad:
        mistakes['dx'].append((loop_conv_backward(dout, x, W, stride, pad, crop=False)[0],
                               f'the gradient dx still holds the padding: it has the shape of the padded input; cut the '
                               f'{pad} rows and columns of zeros off each side, as x_pad[:, :, pad:pad + H, '
                               'pad:pad + W] would'))
    else:
        mistakes['dx'].append((dx[:, :, 0:0, 0:0],
                               'the gradient dx is empty: with pad = 0, dx_pad[:, :, pad:-pad] is dx_pad[:, :, 0:0], '
                               'an empty slice; cut the padding off with pad:pad + H and pad:pad + W, which also '
                               'work for 0'))
    if stride != 1:
        ignored = loop_conv_backward(dout, x, W, stride, pad, step=1)
        mistakes['dx'].append((ignored[0], STRIDE + ', and its gradient goes back there'))
        mistakes['dW'].append((ignored[1], STRIDE + ', and dW sums the products of dout with those windows'))
    N, F, rows, columns = np.shape(dout)
    scrambled = loop_conv_backward(np.reshape(dout, (N, rows, columns, F)).transpose(0, 3, 1, 2), x, W, stride, pad)
    for name, wrong in zip(('dx', 'dW', 'db'), scrambled):
        mistakes[name].append((wrong, DOUT_RESHAPED))
    k = np.shape(W)[2]
    if stride < k:
        dcols = np.transpose(dout, (0, 2, 3, 1)).reshape(-1, F) @ np.reshape(W, (F, -1))
        mistakes['dx'] += [(col2im_assigned(dcols, np.shape(x), k, stride, pad, by), COL2IM_ASSIGNED)
                           for by in ('offset', 'window')]
    for shape in ((1, len(db)), (len(db), 1), (1, len(db), 1, 1)):
        mistakes['db'].append((db.reshape(shape), f'the bias gradient db has shape {shape}; it has the shape of b, '
                                                  '(F,): one number per filter, the only bias of the contract that '
                                                  'is not a row vector'))
    for axes in ((0,), (0, 2), (0, 3), (2, 3), (1, 2, 3), (0, 1), (0, 1, 2, 3)):
        mistakes['db'].append((dout.sum(axis=axes), f'the bias gradient db sums dout over the axes {axes}; {DB_AXES}'))
    mistakes['db'].append((db / len(dout), f'the bias gradient db is averaged over the samples; {DB_AXES} (any 1/N is in dout '
                                                 'already)'))
    return mistakes


# ------------------------------------------------------------------ max-pooling

FIRST = 'the contract sends it to the first of them in row-major order, as np.argmax of the flattened window'
ROUTE_MISTAKES = {
    'whole window': ('every entry of a window gets the window\'s dout: only the position of its maximum changes '
                     'the output, so only that position gets the gradient'),
    'average': ('the gradient is averaged over the window, as average pooling would do: max-pooling passes each '
                'dout entry whole to the position of its window\'s maximum'),
    'last': f'where a window holds equal maxima, the last of them gets the gradient; {FIRST}',
    'every maximum': ('where a window holds equal maxima, every one of them gets the gradient (a mask x == max); '
                      + FIRST),
}


def maxpool_forward_mistakes(x, size, stride):
    """Known wrong values of maxpool_forward(x, size, stride), of any shape."""
    mistakes = []
    if stride != size:
        mistakes.append((loop_maxpool(x, size, size), f'the windows start every size = {size} pixels; they start '
                                                       f'every stride = {stride} pixels'))
    if stride != 1:
        mistakes.append((loop_maxpool(x, size, 1), 'the stride is ignored: window (i, j) starts at row i*stride and '
                                                   'column j*stride'))
    return mistakes


# Two ways of overwriting where windows overlap; on some inputs they give one answer, under one key.
OVERWRITTEN_WINDOW = Cause('overlapping windows overwrite', 'where windows overlap (stride < size), each window\'s '
                           'gradient is assigned to the whole window (dx[window] = ...), which erases what an earlier '
                           'window sent to the pixels they share: add it (+=), so that a pixel that is the maximum of '
                           'several windows gets the sum of their dout entries')
OVERWRITTEN_MAXIMUM = Cause('overlapping windows overwrite', 'where windows overlap (stride < size), a pixel that is '
                            'the maximum of several windows gets only the last window\'s dout entry (=): it gets the '
                            'sum of all of them (+=)')


def maxpool_backward_mistakes(dout, x, size, stride):
    """Known wrong values of maxpool_backward(dout, x, size, stride)."""
    mistakes = [(loop_maxpool(x, size, stride, dout, route), why) for route, why in ROUTE_MISTAKES.items()]
    if stride < size:
        mistakes += [(loop_maxpool(x, size, stride, dout, overlap='window'), OVERWRITTEN_WINDOW),
                     (loop_maxpool(x, size, stride, dout, overlap='maximum'), OVERWRITTEN_MAXIMUM)]
    return mistakes


# ------------------------------------------------------------------ the network

FLATTEN = ('the pooled maps are flattened in another order, channels last ((N, H/2, W/2, F), as after '
           'transpose(0, 2, 3, 1)); the contract flattens each sample\'s (F, H/2, W/2) block in row-major order, '
           'as reshape(N, -1) of the (N, F, H/2, W/2) maps does')


def flatten_mistakes(params, loss_and_grads, height, width):
    """(loss, grads) of a network that flattens its pooled maps channels last, with
    params; the contract's network with W2's rows permuted gives both.

    Inputs:
    - params: the network's params
    - loss_and_grads: trusted function params -> (loss, grads) of the contract's network
    - height, width: the images' H and W
    """
    F = params['W1'].shape[0]
    cells = np.arange(F * (height // 2) * (width // 2))
    order = cells.reshape(height // 2 * (width // 2), F).T.reshape(-1)    # row (f, i, j) <- row (i, j, f)
    loss, grads = loss_and_grads({**params, 'W2': params['W2'][order]})
    grads = dict(grads)
    W2 = np.empty_like(grads['W2'])
    W2[order] = grads['W2']
    grads['W2'] = W2
    return loss, grads


def gradient_mistakes(want, params, reg, batch, channels_last):
    """Known wrong gradients of cnn_loss_and_grads: {name: [(wrong, explanation)]}.

    Inputs:
    - want: {name: the right gradient}
    - params: the network's params
    - reg, batch: reg_lambda and the number of samples
    - channels_last: {name: the gradient of the network that flattens channels last}
    """
    mistakes = {}
    for name, value in want.items():
        mistakes[name] = (l2_gradient_mistakes(value, params[name], reg, batch) if name.startswith('W')
                          else l2_bias_mistakes(value, params[name], reg))
        mistakes[name].append((channels_last[name], FLATTEN))
    filters = len(want['b1'])
    mistakes['b1'] += [(want['b1'].reshape(shape), f"grads['b1'] has shape {shape}; a gradient has the shape of its "
                                                   f'parameter, and b1 is ({filters},)')
                       for shape in ((1, filters), (filters, 1))]
    return mistakes


# ------------------------------------------------------------------ init_cnn

def generators(shapes, seed):
    """{name: [(draws, what is wrong with them)]} of every kind of initialisation.GENERATORS,
    the recipe's first, with '': draws, the standard normal numbers it gives that weight.

    Inputs:
    - shapes: {'W1': ..., 'W2': ..., 'W3': ...}, the contract's shapes, in the order of the draws
    - seed: the seed asked for (with seed 0, ignoring it is no mistake)
    """
    drawn = [(initialisation.draws(shapes, seed, kind), GENERATORS[kind]) for kind in initialisation.kinds(seed)]
    return {name: [(numbers[name], why) for numbers, why in drawn] for name in shapes}


def scales(name, shape):
    """[(scale, what it means)] for the scales students use; '' for the recipe's."""
    n = fan_in(name, shape)
    if name != 'W1':
        return known_scales(name, n, shape[1])
    filters, channels, k = shape[0], shape[1], shape[2]
    return known_scales(name, n) + [
        (1 / k, f'W1 is divided by sqrt(k * k) = {k}; the fan-in of a filter is C * k * k = {n}, every input value '
                'one output sums over, its channels included'),
        (1 / np.sqrt(filters * k * k), f'W1 is divided by sqrt(F * k * k); its fan-in is C * k * k = {n}, counting '
                                       f'the input channels (C = {channels}), not the filters')]


def expect_cnn_recipe(got, want, seed, what):
    """Check init_cnn's result against the recipe, with what differs for every weight that
    misses it (cnn_checks.expect_cnn_weights, with this module's generators and scales).

    Inputs:
    - got: what the submission returned
    - want: the reference's params for the same call
    - seed: the seed it was called with
    - what: how to name the call, e.g. 'init_cnn((2, 6, 4), 3, 5, 7, 4, seed=5)'
    """
    shapes = {name: np.shape(want[name]) for name in WEIGHTS}
    expect_cnn_weights(got, want, generators(shapes, seed), {name: scales(name, shapes[name]) for name in WEIGHTS},
                       what)
