"""Parts 7 and 8: a multi-layer network with dropout and batch normalisation, and tuning it.

Rows are samples, as in Parts 1-5. layer_sizes = [D, H1, ..., C]; L = len(layer_sizes) - 1.
Hidden layer l = 1..L-1:

    z = a @ Wl (+ bl)  ->  batch norm (if the layer has gammal)  ->  a = actFun(z)  ->  dropout (training only)

and the output layer is softmax(a @ WL + bL). A batch-normalised layer has no bias bl:
betal takes its place. Its params are gammal, betal (learned) and running_meanl,
running_varl (statistics kept for inference, not learned), all (1, n_l).

Dropout is inverted: at training time a unit is kept with probability keep_prob and
scaled by 1 / keep_prob, so that at test time nothing changes.
"""

import numpy as np

from .activations import actFun, diff_actFun
from .deep import init_deep
from .losses import softmax
from .two_layer import momentum_step

BN_EPS = 1e-5
RUNNING = 0.9           # running statistic = RUNNING * running statistic + (1 - RUNNING) * batch statistic


def dropout_forward(x, keep_prob, seed):
    """Inverted dropout at training time.

    Inputs:
    - x: activations, (N, D)
    - keep_prob: probability of keeping a unit, in (0, 1]
    - seed: seed of np.random.default_rng, which draws the mask

    Returns:
    - out: x * mask / keep_prob, (N, D)
    - mask: (N, D) float array of 0.0 (dropped) and 1.0 (kept):
      np.random.default_rng(seed).random(x.shape) < keep_prob
    """
    # TODO: Draw one uniform number in [0, 1) per entry from default_rng(seed) and keep
    #   the entries whose number is below keep_prob. Scale what is kept so that every
    #   unit's expected value is unchanged. Return the mask as floats.
    # END TODO
    # BEGIN SOLUTION
    mask = (np.random.default_rng(seed).random(x.shape) < keep_prob).astype(np.float64)
    return x * mask / keep_prob, mask
    # END SOLUTION


def dropout_backward(dout, mask, keep_prob):
    """Gradient of sum(dropout_forward(x, keep_prob, seed)[0] * dout) with respect to x.

    Inputs:
    - dout: upstream gradient, (N, D)
    - mask: the mask of the forward pass, (N, D)
    - keep_prob: as in the forward pass

    Returns:
    - dx: (N, D)
    """
    # TODO: The forward pass multiplies x elementwise by a constant; so does the backward pass.
    # END TODO
    # BEGIN SOLUTION
    return dout * mask / keep_prob
    # END SOLUTION


def batchnorm_forward(x, gamma, beta, eps=BN_EPS):
    """Batch normalisation at training time, with the statistics of this batch.

    Inputs:
    - x: (N, D)
    - gamma: scale, (1, D)
    - beta: shift, (1, D)
    - eps: added to the variance before the square root

    Returns:
    - out: gamma * (x - mean) / sqrt(var + eps) + beta, (N, D)
    - mean: the mean of every column of x, (1, D)
    - var: the biased variance of every column (divided by N, not N - 1), (1, D)
    """
    # TODO: Statistics over the samples (axis 0), keeping (1, D) shapes. numpy's var
    #   divides by N by default, which is what batch norm uses.
    # END TODO
    # BEGIN SOLUTION
    mean = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, mean, var
    # END SOLUTION


def batchnorm_backward(dout, x, gamma, beta, eps=BN_EPS):
    """Gradients of sum(batchnorm_forward(x, gamma, beta, eps)[0] * dout).

    The mean and variance are functions of x too, so every sample's output depends on
    every sample's input.

    Inputs:
    - dout: upstream gradient, (N, D)
    - x, gamma, beta, eps: as batchnorm_forward

    Returns:
    - dx: (N, D)
    - dgamma: (1, D)
    - dbeta: (1, D)
    """
    # TODO: Recompute x_hat = (x - mean) / sqrt(var + eps). dbeta and dgamma sum over
    #   the samples. For dx, either backpropagate through the graph of the forward pass
    #   one node at a time (x - mean, its square, var, 1/sqrt, ...: both x - mean and
    #   the mean feed more than one node, so their gradients add up), or use the compact
    #   form derived in the handout, which needs only dx_hat and two means over the batch.
    # END TODO
    # BEGIN SOLUTION
    inv_std = 1.0 / np.sqrt(x.var(axis=0, keepdims=True) + eps)     # (1, D)
    x_hat = (x - x.mean(axis=0, keepdims=True)) * inv_std            # (N, D)
    dbeta = dout.sum(axis=0, keepdims=True)
    dgamma = (dout * x_hat).sum(axis=0, keepdims=True)
    dx_hat = dout * gamma
    # Subtracting the two means removes what moves the batch mean and the batch variance.
    dx = inv_std * (dx_hat - dx_hat.mean(axis=0, keepdims=True)
                    - x_hat * (dx_hat * x_hat).mean(axis=0, keepdims=True))
    return dx, dgamma, dbeta
    # END SOLUTION


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=BN_EPS):
    """Batch normalisation at test time, with the statistics gathered during training.

    Inputs:
    - x: (N, D)
    - gamma, beta: (1, D)
    - running_mean, running_var: (1, D)
    - eps: as batchnorm_forward

    Returns:
    - out: gamma * (x - running_mean) / sqrt(running_var + eps) + beta, (N, D)
    """
    # TODO: The training-time formula with the running statistics in place of the batch's.
    # END TODO
    # BEGIN SOLUTION
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    # END SOLUTION


def mlp_num_layers(params):
    """L, the number of weight layers in params."""
    return sum(1 for name in params if name.startswith('W'))


def init_mlp(layer_sizes, batchnorm=True, seed=0):
    """Parameters of the network, weights drawn exactly as init_deep draws them.

    Inputs:
    - layer_sizes: [D, H1, ..., C]
    - batchnorm: whether the hidden layers are batch-normalised
    - seed: seed of np.random.default_rng

    Returns:
    - params: 'Wl' (layer_sizes[l-1], layer_sizes[l]) for l = 1..L and 'bL' (1, C); every
      hidden layer l has either 'bl' (1, n_l) of zeros (batchnorm False) or, instead,
      'gammal' ones, 'betal' zeros, 'running_meanl' zeros and 'running_varl' ones,
      all (1, n_l) (batchnorm True)
    """
    # TODO: Start from init_deep(layer_sizes, seed). With batch norm, every hidden layer
    #   swaps its bias for the four arrays above; the output layer keeps its bias.
    # END TODO
    # BEGIN SOLUTION
    params = init_deep(layer_sizes, seed)
    if batchnorm:
        for l in range(1, len(layer_sizes) - 1):
            n = layer_sizes[l]
            del params[f'b{l}']                   # beta plays the bias's part
            params[f'gamma{l}'] = np.ones((1, n))
            params[f'beta{l}'] = np.zeros((1, n))
            params[f'running_mean{l}'] = np.zeros((1, n))
            params[f'running_var{l}'] = np.ones((1, n))
    return params
    # END SOLUTION


def mlp_forward_backward(X, y, params, actFun_type='relu', reg_lambda=0.0, keep_prob=1.0, seed=0):
    """The loss and its gradients in training mode, and the batch statistics used.

    Not graded on its own: the given mlp_loss_and_grads returns its loss and gradients,
    and mlp_fit uses its batch statistics; their tests find its mistakes.

    Inputs: as mlp_loss_and_grads.

    Returns:
    - loss: float, the average cross-entropy plus lambda/2 * the sum over l of sum(Wl**2)
    - grads: dict with every key of params except running_meanl and running_varl
    - batch_stats: {'meanl': (1, n_l), 'varl': (1, n_l)} for every batch-normalised
      layer l, the mean and variance batchnorm_forward computed for this batch
    """
    # TODO: Forward, layer by layer, as in the module docstring, keeping for each hidden
    #   layer its input, its pre-normalisation and pre-activation values and its dropout
    #   mask (one generator default_rng(seed) for all the masks, drawn in layer order,
    #   shape (N, n_l), only when keep_prob < 1). Then backward from (probs - one_hot) / N,
    #   undoing each step in reverse order: dropout, the activation, batch norm (or the
    #   bias), the product with Wl.
    # END TODO
    # BEGIN SOLUTION
    L = mlp_num_layers(params)
    rng = np.random.default_rng(seed) if keep_prob < 1.0 else None
    batch_stats, layers = {}, []        # layers[l-1] = (input a, pre-norm h, pre-activation z, mask)
    a = X
    for l in range(1, L):
        h = a @ params[f'W{l}']
        if f'gamma{l}' in params:
            z, batch_stats[f'mean{l}'], batch_stats[f'var{l}'] = batchnorm_forward(
                h, params[f'gamma{l}'], params[f'beta{l}'])
        else:
            z = h + params[f'b{l}']
        mask = None
        a_out = actFun(z, actFun_type)
        if keep_prob < 1.0:
            mask = (rng.random(a_out.shape) < keep_prob).astype(np.float64)
            a_out = a_out * mask / keep_prob
        layers.append((a, h, z, mask))
        a = a_out
    probs = softmax(a @ params[f'W{L}'] + params[f'b{L}'])
    rows = np.arange(len(y))
    penalty = sum((params[f'W{l}'] ** 2).sum() for l in range(1, L + 1))
    loss = float(-np.log(probs[rows, y]).mean() + 0.5 * reg_lambda * penalty)

    dz = np.array(probs)                # (probs - one_hot(y)) / N, (N, C)
    dz[rows, y] -= 1.0
    dz /= len(y)
    grads = {f'W{L}': a.T @ dz + reg_lambda * params[f'W{L}'], f'b{L}': dz.sum(axis=0, keepdims=True)}
    da = dz @ params[f'W{L}'].T
    for l in range(L - 1, 0, -1):
        a_in, h, z, mask = layers[l - 1]
        if mask is not None:
            da = dropout_backward(da, mask, keep_prob)
        dz = da * diff_actFun(z, actFun_type)
        if f'gamma{l}' in params:
            dh, grads[f'gamma{l}'], grads[f'beta{l}'] = batchnorm_backward(
                dz, h, params[f'gamma{l}'], params[f'beta{l}'])
        else:
            dh = dz
            grads[f'b{l}'] = dz.sum(axis=0, keepdims=True)
        grads[f'W{l}'] = a_in.T @ dh + reg_lambda * params[f'W{l}']
        da = dh @ params[f'W{l}'].T
    return loss, grads, batch_stats
    # END SOLUTION


def mlp_loss_and_grads(X, y, params, actFun_type='relu', reg_lambda=0.0, keep_prob=1.0, seed=0):
    """The loss and its gradients in training mode (batch statistics, dropout).

    Inputs:
    - X: (N, D)
    - y: integer labels, (N,)
    - params: as init_mlp returns
    - actFun_type: 'tanh', 'sigmoid' or 'relu'
    - reg_lambda: L2 strength lambda
    - keep_prob: probability of keeping a hidden unit; 1.0 means no dropout
    - seed: seed of the one generator that draws the dropout masks, layer after layer

    Returns:
    - loss: float
    - grads: dict with every key of params except the running statistics, each the exact
      gradient of loss for the dropout masks drawn
    """
    loss, grads, _ = mlp_forward_backward(X, y, params, actFun_type, reg_lambda, keep_prob, seed)
    return loss, grads


def mlp_predict(X, params, actFun_type='relu'):
    """Most probable class of every sample, in inference mode.

    Inference mode: batch-normalised layers use their running statistics, and there is
    no dropout.

    Inputs:
    - X: (N, D)
    - params: as init_mlp returns
    - actFun_type: 'tanh', 'sigmoid' or 'relu'

    Returns:
    - integer labels, (N,)
    """
    # TODO: The forward pass of mlp_forward_backward without dropout, with
    #   batchnorm_inference in place of batchnorm_forward; then the largest score.
    # END TODO
    # BEGIN SOLUTION
    L = mlp_num_layers(params)
    a = X
    for l in range(1, L):
        h = a @ params[f'W{l}']
        if f'gamma{l}' in params:
            z = batchnorm_inference(h, params[f'gamma{l}'], params[f'beta{l}'],
                                    params[f'running_mean{l}'], params[f'running_var{l}'])
        else:
            z = h + params[f'b{l}']
        a = actFun(z, actFun_type)
    return np.argmax(a @ params[f'W{L}'] + params[f'b{L}'], axis=1)
    # END SOLUTION


def mlp_fit(X, y, layer_sizes, actFun_type='relu', epsilon=0.05, momentum=0.9, reg_lambda=0.0,
            keep_prob=1.0, batchnorm=True, num_epochs=10, batch_size=64, seed=0,
            X_val=None, y_val=None):
    """Minibatch gradient descent with momentum, dropout and batch normalisation.

    Inputs:
    - X: (N, D)
    - y: integer labels 0..C-1, (N,)
    - layer_sizes: [D, H1, ..., C]
    - actFun_type, reg_lambda, keep_prob: as mlp_loss_and_grads
    - epsilon, momentum: as momentum_step
    - batchnorm: as init_mlp
    - num_epochs: passes over the training set
    - batch_size: samples per step (the last batch of an epoch may be smaller)
    - seed: seed of init_mlp, and of a second generator that shuffles the batches
    - X_val: (N_val, D) or None; y_val: (N_val,) or None. Both or neither.

    Returns:
    - params: the trained parameters, running statistics included
    - history: {'loss': one batch loss per step, 'train_accuracy': one accuracy on X per
      epoch, 'val_accuracy': one accuracy on X_val per epoch, or [] without X_val}

    Raises:
    - ValueError when only one of X_val and y_val is given
    """
    # TODO: Check X_val and y_val first. Start from init_mlp and zero velocities for the
    #   learnable parameters only (momentum_step updates every key it is given; the
    #   running statistics are not learned). Draw the batches exactly as cnn_fit does,
    #   from a generator used for nothing else; give step t the dropout seed [seed, t]
    #   (default_rng takes a list), never the batch generator. After each step, move
    #   every running statistic 10% of the way towards the statistic of that step's
    #   batch. After each epoch, record the accuracies.
    # END TODO
    # BEGIN SOLUTION
    if (X_val is None) != (y_val is None):
        raise ValueError('give both X_val and y_val, or neither')
    params = init_mlp(layer_sizes, batchnorm, seed)
    learnable = [name for name in params if not name.startswith('running_')]
    velocity = {name: np.zeros_like(params[name]) for name in learnable}
    rng = np.random.default_rng(seed)   # shuffles only
    history = {'loss': [], 'train_accuracy': [], 'val_accuracy': []}
    step = 0
    for _ in range(num_epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            # default_rng takes a list of integers as a seed: [seed, step] gives each step
            # its own masks, a stream independent of the batch generator default_rng(seed).
            loss, grads, batch_stats = mlp_forward_backward(
                X[batch], y[batch], params, actFun_type, reg_lambda, keep_prob, seed=[seed, step])
            history['loss'].append(loss)
            learned, velocity = momentum_step({name: params[name] for name in learnable}, grads,
                                              velocity, epsilon, momentum)
            params.update(learned)
            for stat, value in batch_stats.items():          # 'mean1' -> 'running_mean1', ...
                running = f'running_{stat}'
                params[running] = RUNNING * params[running] + (1.0 - RUNNING) * value
            step += 1
        history['train_accuracy'].append(float(np.mean(mlp_predict(X, params, actFun_type) == y)))
        if X_val is not None:
            history['val_accuracy'].append(float(np.mean(mlp_predict(X_val, params, actFun_type) == y_val)))
    return params, history
    # END SOLUTION


def tuned_hyperparameters():
    """Part 8: your choice of keyword arguments for mlp_fit on the tuning task.

    Returns:
    - dict with any of the keys 'hidden_sizes' (the list [H1, ...]; the grader adds D and
      C), 'actFun_type', 'epsilon', 'momentum', 'reg_lambda', 'keep_prob', 'batchnorm',
      'num_epochs', 'batch_size', within the budget the handout states
    """
    # TODO: Tune on the validation split of load_tuning_task (never on the test split),
    #   over a few seeds, then return the settings that did best, within the budget of
    #   Part 8 in the handout.
    # END TODO
    # BEGIN SOLUTION
    # The shells need a wide layer trained for long (the defaults stop after 10 epochs);
    # batch norm's noisy batch statistics cost accuracy here, so it is off.
    return dict(hidden_sizes=[128], actFun_type='relu', epsilon=0.1, momentum=0.9,
                reg_lambda=0.0, keep_prob=1.0, batchnorm=False, num_epochs=200, batch_size=128)
    # END SOLUTION
