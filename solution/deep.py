"""Part 5: a network with any number of layers.

layer_sizes = [D, H1, ..., C] lists the input size, the hidden sizes and the number
of classes; the network has L = len(layer_sizes) - 1 weight layers.
params = {'W1': (D, H1), 'b1': (1, H1), ..., 'WL': (H_{L-1}, C), 'bL': (1, C)}.
Every hidden layer applies actFun; the output layer applies softmax.
"""

import numpy as np

from .activations import actFun, diff_actFun
from .losses import averageCE, gradCE, softmax
from .two_layer import momentum_step


def num_layers(params):
    """L, the number of weight layers in params."""
    return len(params) // 2


def init_deep(layer_sizes, seed=0):
    """Random weights scaled by 1/sqrt(fan_in), zero biases, as init_params.

    Inputs:
    - layer_sizes: [D, H1, ..., C]
    - seed: seed of np.random.default_rng

    Returns:
    - params: {'Wl': (layer_sizes[l-1], layer_sizes[l]), 'bl': (1, layer_sizes[l])} for l = 1..L
    """
    # TODO: Follow the recipe of "Initialisation" for every layer l = 1..L in order, with ONE
    #   generator for all layers: Wl of shape (layer_sizes[l-1], layer_sizes[l]) scaled
    #   by 1/sqrt(fan_in), and bl zeros of shape (1, layer_sizes[l]).
    # END TODO
    # BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f'W{l}'] = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
        params[f'b{l}'] = np.zeros((1, fan_out))
    return params
    # END SOLUTION


def deep_feedforward(X, params, actFun_type='tanh'):
    """Class probabilities of the network.

    Inputs:
    - X: (N, D)
    - params: as init_deep returns
    - actFun_type: 'tanh', 'sigmoid' or 'relu'

    Returns:
    - probs: (N, C)
    """
    # TODO: Start from a = X; every hidden layer l < L applies its affine map and actFun;
    #   the last layer applies its affine map and softmax. Mind L = 1 (no hidden layer).
    # END TODO
    # BEGIN SOLUTION
    L = num_layers(params)
    a = X
    for l in range(1, L):
        a = actFun(a @ params[f'W{l}'] + params[f'b{l}'], actFun_type)
    return softmax(a @ params[f'W{L}'] + params[f'b{L}'])
    # END SOLUTION


def deep_loss(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    """Average cross-entropy plus lambda/2 * the sum over layers of sum(Wl**2).

    Inputs:
    - X: (N, D)
    - y: integer labels, (N,)
    - params: as init_deep returns
    - actFun_type: 'tanh', 'sigmoid' or 'relu'
    - reg_lambda: L2 strength lambda

    Returns:
    - float: the loss
    """
    # TODO: The average cross-entropy of the one-hot labels and the probabilities, plus the
    #   L2 penalty over the weights of every layer (not the biases). Take C from the
    #   parameters, not from y.
    # END TODO
    # BEGIN SOLUTION
    probs = deep_feedforward(X, params, actFun_type)
    target = np.eye(probs.shape[1])[y]
    penalty = sum(np.sum(params[f'W{l}'] ** 2) for l in range(1, num_layers(params) + 1))
    return averageCE(target, probs) + 0.5 * reg_lambda * float(penalty)
    # END SOLUTION


def deep_loss_and_grads(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    """The loss and its gradients from one forward and one backward pass.

    Not graded on its own: the given deep_backprop returns its grads, and deep_fit calls
    it; their tests find its mistakes.

    Inputs: as deep_loss.

    Returns:
    - loss: float, as deep_loss
    - grads: dict with the keys and shapes of params
    """
    # TODO: Forward: keep every hidden layer's input a and pre-activation z. Loss: as deep_loss.
    #   Backward: start from dLoss/dz of the output layer and apply the recursion of
    #   "The deep network" from l = L down to 1; every weight gradient gets its L2 term.
    # END TODO
    # BEGIN SOLUTION
    L = num_layers(params)
    inputs, pre_acts = [], []          # the input a and pre-activation z of each hidden layer
    a = X
    for l in range(1, L):
        z = a @ params[f'W{l}'] + params[f'b{l}']
        inputs.append(a)
        pre_acts.append(z)
        a = actFun(z, actFun_type)
    probs = softmax(a @ params[f'W{L}'] + params[f'b{L}'])
    rows = np.arange(len(y))           # index each row's true class, as loss_and_grads does
    penalty = sum((params[f'W{l}'] ** 2).sum() for l in range(1, L + 1))
    loss = float(-np.log(probs[rows, y]).mean() + 0.5 * reg_lambda * penalty)

    grads = {}
    dz = np.array(probs)               # dLoss/dz of the output layer: gradCE(one_hot(y), probs), (N, C)
    dz[rows, y] -= 1.0
    dz /= len(y)
    for l in range(L, 0, -1):
        W = params[f'W{l}']
        grads[f'W{l}'] = a.T @ dz + reg_lambda * W
        grads[f'b{l}'] = dz.sum(axis=0, keepdims=True)
        if l > 1:
            dz = (dz @ W.T) * diff_actFun(pre_acts[l - 2], actFun_type)
            a = inputs[l - 2]
    return loss, grads
    # END SOLUTION


def deep_backprop(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    """Gradients of deep_loss with respect to every parameter.

    Inputs: as deep_loss.

    Returns:
    - grads: dict with the keys and shapes of params
    """
    return deep_loss_and_grads(X, y, params, actFun_type, reg_lambda)[1]


def deep_predict(X, params, actFun_type='tanh'):
    """Most probable class of every sample.

    Inputs:
    - X: (N, D)
    - params: as init_deep returns
    - actFun_type: 'tanh', 'sigmoid' or 'relu'

    Returns:
    - integer labels, (N,)
    """
    # TODO: Return the most probable class of every sample: integer labels of shape (N,).
    # END TODO
    # BEGIN SOLUTION
    return np.argmax(deep_feedforward(X, params, actFun_type), axis=1)
    # END SOLUTION


def deep_fit(X, y, layer_sizes, actFun_type='tanh', epsilon=0.01, num_passes=5000,
             reg_lambda=0.01, momentum=0.9, seed=0):
    """Full-batch gradient descent with momentum, as fit_model.

    Inputs:
    - X: (N, D)
    - y: integer labels, (N,)
    - layer_sizes: [D, H1, ..., C]
    - actFun_type, epsilon, num_passes, reg_lambda, momentum: as fit_model
    - seed: seed of init_deep

    Returns:
    - params: the trained parameters
    - losses: (num_passes,), losses[i] is the loss of the parameters pass i started from
    """
    # TODO: As fit_model, but for the deep network: start from init_deep(layer_sizes, seed)
    #   and zero velocities, and use deep_loss_and_grads and momentum_step every pass.
    # END TODO
    # BEGIN SOLUTION
    params = init_deep(layer_sizes, seed)
    velocity = {k: np.zeros_like(p) for k, p in params.items()}
    losses = np.empty(num_passes)
    for i in range(num_passes):
        losses[i], grads = deep_loss_and_grads(X, y, params, actFun_type, reg_lambda)
        params, velocity = momentum_step(params, grads, velocity, epsilon, momentum)
    return params, losses
    # END SOLUTION
