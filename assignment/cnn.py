"""Part 6: a small convolutional network.

Images are x (N, C, H, W): samples, channels, rows, columns. A convolution layer has
filters W (F, C, k, k) and one bias per filter, b (F,). "Convolution" means what deep
learning means by it, a cross-correlation: the kernel slides over the image unflipped,

    out[n, f, i, j] = b[f] + sum over c, p, q of x_pad[n, c, i*stride + p, j*stride + q] * W[f, c, p, q].

im2col cuts every k x k window of the input into one row of a matrix, so that a whole
convolution is one matrix product; col2im is its transpose, and carries gradients back from
the rows to the image. A loop over the k * k kernel offsets, or over the output positions,
is fast enough here; loops over samples and filters as well are not (the handout's "How
slow is a loop?").

The network: conv (k x k, 'same' size) -> relu -> 2 x 2 max-pool -> flatten -> affine
-> relu -> affine -> softmax, with
params = {'W1': (F, C, k, k), 'b1': (F,), 'W2': (F*H/2*W/2, hidden), 'b2': (1, hidden),
          'W3': (hidden, classes), 'b3': (1, classes)}.
"""

import numpy as np

from .activations import gradRelu, relu
from .losses import softmax
from .two_layer import momentum_step


def output_size(size, k, stride=1, pad=0):
    """Number of positions a k-wide window takes along one axis.

    Inputs:
    - size: H or W of the input
    - k: window size
    - stride: step between windows
    - pad: zeros added on each side

    Returns:
    - int: 1 + (size + 2*pad - k) // stride
    """
    return 1 + (size + 2 * pad - k) // stride


def im2col(x, k, stride=1, pad=0):
    """Cut every k x k window of the zero-padded input into one row.

    Not graded on its own: conv_forward and conv_backward are built on it, and their
    tests find its mistakes.

    Inputs:
    - x: (N, C, H, W)
    - k: window size
    - stride: step between windows
    - pad: zeros added on each of the four sides

    Returns:
    - cols: (N * H' * W', C * k * k). Row n*H'*W' + i*W' + j holds the window whose
      top-left corner is x_pad[n, :, i*stride, j*stride], flattened in (c, p, q) order,
      the order of W[f].reshape(-1) for filters W (F, C, k, k).
    """
    # TODO: Pad x with zeros on its two spatial axes only, then make an empty
    #   (N, H', W', C, k, k) array. Entry (p, q) of every window at once is one strided
    #   slice of the padded image: rows p, p + stride, ... and columns q, q + stride, ...,
    #   H' and W' of them. Fill the array with a loop over the k*k offsets (p, q) only,
    #   then reshape it.
    # END TODO
    raise NotImplementedError


def col2im(cols, x_shape, k, stride=1, pad=0):
    """Add every row back onto the window it was cut from: the transpose of im2col.

    Not graded on its own: conv_backward is built on it, and its tests find col2im's
    mistakes.

    If cols = im2col(x, ...) then sum(cols * dcols) = sum(x * col2im(dcols, ...)) for
    every dcols, which makes col2im the backward pass of im2col.

    Inputs:
    - cols: (N * H' * W', C * k * k), laid out as im2col returns
    - x_shape: (N, C, H, W), the shape of the input im2col was applied to
    - k, stride, pad: as im2col

    Returns:
    - dx: (N, C, H, W); a pixel covered by several windows receives the sum of its
      entries in all of them, a pixel of the padding is dropped
    """
    # TODO: Undo im2col step by step, in reverse: reshape the rows to (N, H', W', C, k, k),
    #   then for every offset (p, q) ADD the entries back onto the same strided slice of a
    #   zero padded image that im2col read them from (windows overlap when stride < k,
    #   so never assign). Finally cut the padding off.
    # END TODO
    raise NotImplementedError


def conv_forward(x, W, b, stride=1, pad=0):
    """Convolution (cross-correlation) of a batch of images with a bank of filters.

    Inputs:
    - x: (N, C, H, W)
    - W: filters, (F, C, k, k)
    - b: one bias per filter, (F,)
    - stride: step between windows
    - pad: zeros added on each of the four sides

    Returns:
    - out: (N, F, H', W') with H' = 1 + (H + 2*pad - k) // stride, likewise W';
      out[n, f, i, j] = b[f] + sum over c, p, q of x_pad[n, c, i*stride + p, j*stride + q] * W[f, c, p, q]
    """
    # TODO: With im2col every output value is the dot product of one row (a window) with
    #   one flattened filter. Write the whole layer as a single matrix product plus the
    #   bias, then move the filter axis to where the output shape wants it.
    # END TODO
    raise NotImplementedError


def conv_backward(dout, x, W, b, stride=1, pad=0):
    """Gradients of sum(conv_forward(x, W, b, stride, pad) * dout).

    Inputs:
    - dout: upstream gradient, (N, F, H', W')
    - x, W, b, stride, pad: as conv_forward

    Returns:
    - dx: (N, C, H, W)
    - dW: (F, C, k, k)
    - db: (F,)
    """
    # TODO: Seen through im2col, the forward pass is an affine layer whose inputs are the
    #   window rows and whose weights are the flattened filters. Lay dout out as that
    #   layer's (N*H'*W', F) output (mind the axis order), then backpropagate as in Part 3.
    #   Every entry of the window rows is a copy of an input pixel: col2im brings their
    #   gradient back to x.
    # END TODO
    raise NotImplementedError


def maxpool_forward(x, size=2, stride=2):
    """Max-pooling: the largest value of every size x size window, channel by channel.

    Inputs:
    - x: (N, C, H, W)
    - size: window size
    - stride: step between windows

    Returns:
    - out: (N, C, H', W') with H' = 1 + (H - size) // stride, likewise W'
    """
    # TODO: Seen as N*C images of one channel each, every window is one row of
    #   im2col (no padding). Take the maximum of each row and reshape.
    # END TODO
    raise NotImplementedError


def maxpool_backward(dout, x, size=2, stride=2):
    """Gradient of sum(maxpool_forward(x, size, stride) * dout) with respect to x.

    Each window passes its dout entry to the position of its maximum, to the first one
    in row-major order when several entries tie (as np.argmax of the flattened window);
    where windows overlap (stride < size) the contributions add up.

    Inputs:
    - dout: upstream gradient, (N, C, H', W')
    - x: the input of the forward pass, (N, C, H, W)
    - size, stride: as maxpool_forward

    Returns:
    - dx: (N, C, H, W)
    """
    # TODO: Cut x into windows as in the forward pass and find where each window's
    #   maximum sits (np.argmax picks the first of equal maxima). Build a gradient of the
    #   windows that is zero except for one entry per row, then let col2im send it back:
    #   it also adds up what overlapping windows send to the same pixel.
    # END TODO
    raise NotImplementedError


def init_cnn(input_shape, num_filters=8, filter_size=3, hidden_dim=64, num_classes=10, seed=0):
    """Random weights scaled by 1/sqrt(fan_in), zero biases.

    Inputs:
    - input_shape: (C, H, W) of one image, H and W even
    - num_filters: F
    - filter_size: k, odd
    - hidden_dim: width of the hidden affine layer
    - num_classes: number of classes
    - seed: seed of np.random.default_rng

    Returns:
    - params: {'W1': (F, C, k, k), 'b1': (F,), 'W2': (F*H/2*W/2, hidden_dim),
      'b2': (1, hidden_dim), 'W3': (hidden_dim, num_classes), 'b3': (1, num_classes)}
    """
    # TODO: One generator np.random.default_rng(seed). Draw W1, W2, W3 in this order,
    #   each with a single standard_normal call of exactly the shape above, and divide
    #   each by the square root of its fan-in: the number of inputs that one output
    #   unit sums over (for W1, the size of one window of the input). Biases are zeros.
    # END TODO
    raise NotImplementedError


def cnn_forward(X, params):
    """Class scores of the network, and what its backward pass needs.

    Not graded on its own: cnn_loss_and_grads and cnn_predict are built on it, and their
    tests find its mistakes.

    Inputs:
    - X: (N, C, H, W)
    - params: as init_cnn returns

    Returns:
    - scores: logits, (N, classes)
    - cache: dict of the intermediate arrays: the conv output (N, F, H, W), its relu,
      the pooled maps (N, F, H/2, W/2), the flattened (N, F*H/2*W/2) features, the
      hidden pre-activation and activation (N, hidden)
    """
    # TODO: conv_forward with stride 1 and the padding that keeps H and W (k is odd),
    #   relu, 2 x 2 max-pool with stride 2, flatten every sample in row-major order,
    #   affine, relu, affine. Keep every intermediate array the backward pass will need.
    # END TODO
    raise NotImplementedError


def cnn_loss_and_grads(X, y, params, reg_lambda=0.0):
    """The loss of the network and its gradients, from one forward and one backward pass.

    Inputs:
    - X: (N, C, H, W)
    - y: integer labels, (N,)
    - params: as init_cnn returns
    - reg_lambda: L2 strength lambda

    Returns:
    - loss: float, averageCE(one_hot(y), probs) + lambda/2 * (sum(W1**2) + sum(W2**2) + sum(W3**2))
    - grads: dict with the keys and shapes of params
    """
    # TODO: Run cnn_forward, then go backwards through the same layers: softmax and
    #   cross-entropy give (probs - one_hot) / N on the scores; the affine layers as in
    #   Part 5; a flattened gradient is reshaped to the pooled maps' shape; then
    #   maxpool_backward, the relu derivative at the conv output, conv_backward. The
    #   number of classes is the width of W3. Remember lambda * W on every weight.
    # END TODO
    raise NotImplementedError


def cnn_predict(X, params):
    """Most probable class of every image.

    Inputs:
    - X: (N, C, H, W)
    - params: as init_cnn returns

    Returns:
    - integer labels, (N,)
    """
    # TODO: The class with the largest score; softmax does not change which one it is.
    # END TODO
    raise NotImplementedError


def cnn_fit(X, y, num_filters=8, filter_size=3, hidden_dim=64, epsilon=0.05, momentum=0.9,
            reg_lambda=0.0, num_epochs=10, batch_size=32, seed=0):
    """Minibatch gradient descent with momentum.

    Inputs:
    - X: (N, C, H, W), H and W even
    - y: integer labels 0..classes-1, (N,), where classes = max(y) + 1
    - num_filters, filter_size, hidden_dim: as init_cnn
    - epsilon: learning rate
    - momentum: momentum coefficient
    - reg_lambda: L2 strength
    - num_epochs: passes over the training set
    - batch_size: samples per step (the last batch of an epoch may be smaller)
    - seed: seed of init_cnn, and of a second generator that shuffles the batches

    Returns:
    - params: the trained parameters
    - losses: (steps,), losses[t] is the loss of step t's batch at the parameters step t
      started from (L2 included)
    """
    # TODO: Start from init_cnn(X.shape[1:], ..., max(y) + 1, seed) and zero velocities.
    #   Then a second generator np.random.default_rng(seed); at the start of every epoch
    #   it draws one permutation of the N samples, and the batches are consecutive
    #   slices of it. One momentum_step per batch, recording the batch's loss first.
    # END TODO
    raise NotImplementedError
