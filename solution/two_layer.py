"""Parts 3 and 4: a two-layer network, its hand-derived gradients, and training.

Shapes: N samples, D input features, H hidden units, C classes.
"""

import numpy as np

from .activations import actFun, diff_actFun, gradRelu
from .losses import averageCE, gradCE, softmax


# Part 3: the gradients of one network, h = relu(x W_h + b_h), o = h W_o + b_o,
# prediction = softmax(o), loss = averageCE(target, prediction).

def compute(x, W, b):
    """Affine layer.

    Inputs:
    - x: (N, D)
    - W: (D, H)
    - b: (1, H)

    Returns:
    - x @ W + b, (N, H)
    """
    # TODO: The affine map of a batch: every row of x times W, plus the bias row b.
    # END TODO
    # BEGIN SOLUTION
    return x @ W + b
    # END SOLUTION


def dL_dW_o(target, prediction, h):
    """Gradient of the loss with respect to the output weights.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: the network's softmax output, (N, C)
    - h: hidden activations relu(x W_h + b_h), (N, H)

    Returns:
    - dLoss/dW_o, (H, C)
    """
    # TODO: Chain rule through o = h W_o + b_o: combine h and dLoss/do (gradCE gives it) so
    #   that the sum over samples happens in a matrix product of shape (H, C).
    # END TODO
    # BEGIN SOLUTION
    return h.T @ gradCE(target, prediction)
    # END SOLUTION


def dL_db_o(target, prediction):
    """Gradient of the loss with respect to the output bias.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: the network's softmax output, (N, C)

    Returns:
    - dLoss/db_o, (1, C)
    """
    # TODO: The bias is added to every sample: sum dLoss/do over the samples, keeping (1, C).
    # END TODO
    # BEGIN SOLUTION
    return np.sum(gradCE(target, prediction), axis=0, keepdims=True)
    # END SOLUTION


def dL_dW_h(target, prediction, W_o, x, W_h, b_h):
    """Gradient of the loss with respect to the hidden weights.

    Inputs:
    - target: one-hot labels, (N, C)
    - prediction: the network's softmax output, (N, C)
    - W_o: output weights, (H, C)
    - x: inputs, (N, D)
    - W_h: hidden weights, (D, H)
    - b_h: hidden bias, (1, H)

    Returns:
    - dLoss/dW_h, (D, H)
    """
    # TODO: Backpropagate dLoss/do through W_o to h, then through the ReLU to z_h = x W_h + b_h
    #   (its derivative is taken at z_h, not at h), then through W_h. Check every shape
    #   against "Backpropagation through the hidden layer".
    # END TODO
    # BEGIN SOLUTION
    dz = (gradCE(target, prediction) @ W_o.T) * gradRelu(compute(x, W_h, b_h))
    return x.T @ dz
    # END SOLUTION


def dL_db_h(target, prediction, W_o, x, W_h, b_h):
    """Gradient of the loss with respect to the hidden bias.

    Inputs: as dL_dW_h.

    Returns:
    - dLoss/db_h, (1, H)
    """
    # TODO: As dL_dW_h down to dLoss/dz_h, then the bias step, as in dL_db_o: shape (1, H).
    # END TODO
    # BEGIN SOLUTION
    dz = (gradCE(target, prediction) @ W_o.T) * gradRelu(compute(x, W_h, b_h))
    return np.sum(dz, axis=0, keepdims=True)
    # END SOLUTION


# Part 4: a trainable classifier with any activation and L2 regularisation.
# params = {'W1': (D, H), 'b1': (1, H), 'W2': (H, C), 'b2': (1, C)};
# y holds integer labels 0..C-1, (N,).

def init_params(nn_input_dim, nn_hidden_dim, nn_output_dim, seed=0):
    """Random weights scaled by 1/sqrt(fan_in), zero biases.

    Inputs:
    - nn_input_dim: D
    - nn_hidden_dim: H
    - nn_output_dim: C
    - seed: seed of np.random.default_rng

    Returns:
    - params: {'W1': (D, H), 'b1': (1, H), 'W2': (H, C), 'b2': (1, C)}
    """
    # TODO: Follow the recipe of "Initialisation" exactly: one np.random.default_rng(seed),
    #   W1 then W2, each scaled by 1/sqrt(fan_in); biases zeros of shape (1, H) and (1, C).
    # END TODO
    # BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    return {
        'W1': rng.standard_normal((nn_input_dim, nn_hidden_dim)) / np.sqrt(nn_input_dim),
        'b1': np.zeros((1, nn_hidden_dim)),
        'W2': rng.standard_normal((nn_hidden_dim, nn_output_dim)) / np.sqrt(nn_hidden_dim),
        'b2': np.zeros((1, nn_output_dim)),
    }
    # END SOLUTION


def feedforward(X, params, actFun_type='tanh'):
    """Class probabilities of the network.

    Inputs:
    - X: (N, D)
    - params: as init_params returns
    - actFun_type: 'tanh', 'sigmoid' or 'relu'

    Returns:
    - probs: softmax(actFun(X W1 + b1) W2 + b2), (N, C)
    """
    # TODO: The hidden layer applies compute and actFun; the output layer compute and softmax.
    # END TODO
    # BEGIN SOLUTION
    a1 = actFun(compute(X, params['W1'], params['b1']), actFun_type)
    return softmax(compute(a1, params['W2'], params['b2']))
    # END SOLUTION


def calculate_loss(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    """Average cross-entropy plus the L2 penalty on the weights.

    Inputs:
    - X: (N, D)
    - y: integer labels, (N,)
    - params: as init_params returns
    - actFun_type: 'tanh', 'sigmoid' or 'relu'
    - reg_lambda: L2 strength lambda

    Returns:
    - float: averageCE(one_hot(y), probs) + lambda/2 * (sum(W1**2) + sum(W2**2))
    """
    # TODO: The average cross-entropy of the one-hot labels and feedforward's probabilities, plus
    #   the L2 penalty of Part 4 (weights only). Take C from the parameters, not from y.
    # END TODO
    # BEGIN SOLUTION
    probs = feedforward(X, params, actFun_type)
    target = np.eye(probs.shape[1])[y]
    penalty = np.sum(params['W1'] ** 2) + np.sum(params['W2'] ** 2)
    return averageCE(target, probs) + 0.5 * reg_lambda * float(penalty)
    # END SOLUTION


def loss_and_grads(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    """The loss and its gradients from one forward and one backward pass.

    Not graded on its own: the given backprop returns its grads, and fit_model calls it;
    their tests find its mistakes.

    Training needs both for the same parameters; computing them together runs the
    forward pass once per step instead of twice.

    Inputs: as calculate_loss.

    Returns:
    - loss: float, as calculate_loss
    - grads: {'W1': (D, H), 'b1': (1, H), 'W2': (H, C), 'b2': (1, C)}, the gradient
      of the loss with respect to each parameter
    """
    # TODO: One forward pass (keep z1 and a1 = actFun(z1)), the loss of calculate_loss, then one
    #   backward pass: the derivation of Part 3 with diff_actFun in place of gradRelu, and
    #   the L2 term added to each weight gradient ("L2 regularisation").
    # END TODO
    # BEGIN SOLUTION
    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']
    z1 = compute(X, W1, b1)
    a1 = actFun(z1, actFun_type)
    probs = softmax(compute(a1, W2, b2))
    # A one-hot target only picks each row's true class: index it instead of building
    # the (N, C) one-hot matrix every step.
    rows = np.arange(len(y))
    loss = float(-np.log(probs[rows, y]).mean() + 0.5 * reg_lambda * ((W1 ** 2).sum() + (W2 ** 2).sum()))

    do = np.array(probs)                                # gradCE(one_hot(y), probs), (N, C)
    do[rows, y] -= 1.0
    do /= len(y)
    dz1 = (do @ W2.T) * diff_actFun(z1, actFun_type)    # (N, H)
    grads = {
        'W1': X.T @ dz1 + reg_lambda * W1,
        'b1': dz1.sum(axis=0, keepdims=True),
        'W2': a1.T @ do + reg_lambda * W2,
        'b2': do.sum(axis=0, keepdims=True),
    }
    return loss, grads
    # END SOLUTION


def backprop(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    """Gradients of calculate_loss with respect to every parameter.

    Inputs: as calculate_loss.

    Returns:
    - grads: {'W1': (D, H), 'b1': (1, H), 'W2': (H, C), 'b2': (1, C)}
    """
    return loss_and_grads(X, y, params, actFun_type, reg_lambda)[1]


def predict(X, params, actFun_type='tanh'):
    """Most probable class of every sample.

    Inputs:
    - X: (N, D)
    - params: as init_params returns
    - actFun_type: 'tanh', 'sigmoid' or 'relu'

    Returns:
    - integer labels, (N,)
    """
    # TODO: Return the most probable class of every sample: integer labels of shape (N,).
    # END TODO
    # BEGIN SOLUTION
    return np.argmax(feedforward(X, params, actFun_type), axis=1)
    # END SOLUTION


def momentum_step(params, grads, velocity, epsilon, momentum):
    """One step of gradient descent with momentum.

    For every key k: v = momentum * v - epsilon * g, then p = p + v.

    Inputs:
    - params: dict of parameter arrays
    - grads: dict of gradients, same keys and shapes as params
    - velocity: dict of velocities, same keys and shapes (zeros before the first step)
    - epsilon: learning rate
    - momentum: momentum coefficient, in [0, 1)

    Returns:
    - (new_params, new_velocity): dicts with the keys of params
    """
    # TODO: Apply the update of "Momentum" to every key: first the new velocity, then move the
    #   parameter by the NEW velocity. Return new dicts; leave the inputs unchanged.
    # END TODO
    # BEGIN SOLUTION
    new_velocity = {k: momentum * velocity[k] - epsilon * grads[k] for k in params}
    new_params = {k: params[k] + new_velocity[k] for k in params}
    return new_params, new_velocity
    # END SOLUTION


def fit_model(X, y, nn_hidden_dim, actFun_type='tanh', epsilon=0.01, num_passes=20000,
              reg_lambda=0.01, momentum=0.0, seed=0):
    """Full-batch gradient descent with momentum.

    Inputs:
    - X: (N, D)
    - y: integer labels 0..C-1, (N,), where C = max(y) + 1
    - nn_hidden_dim: H
    - actFun_type: 'tanh', 'sigmoid' or 'relu'
    - epsilon: learning rate
    - num_passes: number of gradient steps over the whole batch
    - reg_lambda: L2 strength
    - momentum: momentum coefficient (0 is plain gradient descent)
    - seed: seed of init_params

    Returns:
    - params: the trained parameters
    - losses: (num_passes,), losses[i] is the loss of the parameters pass i started from
    """
    # TODO: Start from init_params(D, nn_hidden_dim, C, seed) with C = max(y) + 1 and zero
    #   velocities. Each pass records the loss of the current parameters, then takes one
    #   momentum_step with the gradients of that same forward pass (loss_and_grads).
    # END TODO
    # BEGIN SOLUTION
    params = init_params(X.shape[1], nn_hidden_dim, int(np.max(y)) + 1, seed)
    velocity = {k: np.zeros_like(p) for k, p in params.items()}
    losses = np.empty(num_passes)
    for i in range(num_passes):
        losses[i], grads = loss_and_grads(X, y, params, actFun_type, reg_lambda)
        params, velocity = momentum_step(params, grads, velocity, epsilon, momentum)
    return params, losses
    # END SOLUTION
