"""The grader's own loss of the convolutional network, and its centered-difference gradients,
for replaying cnn_fit in the public suite without leaning on the student's
cnn_loss_and_grads: the forward pass by the loops of cnn_mistakes.
"""

import numpy as np

from grader.engine.gradcheck import numerical_gradient
from grader.suites.cnn_mistakes import loop_conv_forward, loop_maxpool


def own_features(X, params):
    """The flattened pooled maps of the network, (N, F*H/2*W/2), by the grader's own loops."""
    size = np.shape(params['W1'])[2]
    conv = loop_conv_forward(X, params['W1'], params['b1'], 1, (size - 1) // 2)
    return loop_maxpool(np.maximum(conv, 0.0), 2, 2).reshape(len(X), -1)


def own_loss(features, y, params, reg):
    """The contract's loss of the network whose flattened pooled maps are `features`."""
    hidden = np.maximum(features @ params['W2'] + params['b2'], 0.0)
    scores = hidden @ params['W3'] + params['b3']
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    penalty = sum(float(np.sum(np.square(params[name]))) for name in ('W1', 'W2', 'W3'))
    return float(-np.mean(log_probs[np.arange(len(y)), y]) + reg / 2 * penalty)


def own_step(reg):
    """A function (X, y, params) -> (loss, centered-difference gradients), for replaying cnn_fit.

    The gradients of W2, b2, W3 and b3 leave the convolution's features unchanged: their
    differences reuse them."""
    def step(X, y, params):
        params = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
        features = own_features(X, params)

        def loss():
            return own_loss(features, y, params, reg)

        def loss_through_the_convolution():
            return own_loss(own_features(X, params), y, params, reg)

        grads = {name: numerical_gradient(loss_through_the_convolution if name in ('W1', 'b1') else loss,
                                          params[name]) for name in params}
        return loss(), grads
    return step
