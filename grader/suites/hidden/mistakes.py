"""The mistakes students make in this homework, each written once.

Every function returns known_mistakes for grader.checks: pairs (the value a mistake
gives, the explanation a student reads: a sentence, or a Cause whose key groups it with the
same mistake recognised elsewhere). A pair is only shown when the submission's result
equals that value, so an explanation never claims a cause it has not recognised.
The hidden suite uses them, and tools/expected.py to write the public suite's data;
nothing here depends on the reference solution.
"""

import numpy as np

from grader.engine.checks import Cause


def _softmax(x):
    """Row-wise softmax, shifted by each row's maximum."""
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def _mean_cross_entropy(target, prediction):
    return float(-np.sum(target * np.log(prediction)) / len(target))


SOFTMAX_AGAIN = ('softmax is applied to the probabilities again: prediction is softmax(o) already, '
                 'so use it as it is')
WRT_PROBABILITIES = ('this is the gradient with respect to the probabilities, -target / (N * prediction); '
                     'gradCE is the gradient with respect to the logits o, which through the softmax '
                     'simplifies to (prediction - target) / N')


def averageCE_mistakes(target, prediction):
    """Known wrong values of averageCE(target, prediction).

    Inputs:
    - target: one-hot, (N, C)
    - prediction: probabilities, (N, C), positive where target is 1
    """
    return [(_mean_cross_entropy(target, _softmax(prediction)), SOFTMAX_AGAIN)]


def gradCE_mistakes(target, prediction):
    """Known wrong values of gradCE(target, prediction), each (N, C).

    Inputs: as averageCE_mistakes.
    """
    n = len(target)
    with np.errstate(divide='ignore', invalid='ignore'):
        wrt_probabilities = np.where(target > 0, -target / prediction, 0.0)
    return [(wrt_probabilities / n, WRT_PROBABILITIES),
            (wrt_probabilities, WRT_PROBABILITIES + ' (and the 1/N is missing)'),
            ((_softmax(prediction) - target) / n, SOFTMAX_AGAIN + ': gradCE is (prediction - target) / N'),
            (prediction - target, Cause('missing 1/N', f'a missing 1/N (N = {n}): average over the batch, '
                                                       'do not only sum')),
            ((target - prediction) / n, 'the sign is flipped: prediction - target')]


def l2_loss_mistakes(data_loss, weights, reg, batch, biases=()):
    """Known wrong values of a loss with the L2 penalty (lambda / 2) * sum of sum(W**2).

    Inputs:
    - data_loss: the right average cross-entropy, without penalty
    - weights: the weight matrices W1..WL
    - reg: lambda; nothing is recognisable when it is 0
    - batch: N
    - biases: the bias vectors, to recognise regularised biases
    """
    if not reg:
        return []
    penalty = sum(float(np.sum(np.square(W))) for W in weights)
    mistakes = [(data_loss + reg * penalty, 'the penalty is lambda/2 * sum(W**2), not lambda * sum(W**2)'),
                (data_loss, 'the L2 penalty is missing')]
    if batch > 1:
        mistakes += [(data_loss + reg / (2 * batch) * penalty,
                      'the penalty is lambda/2 * sum(W**2), not lambda/(2N) * sum(W**2): it is added once, '
                      'not averaged over the samples'),
                     (batch * data_loss + reg / 2 * penalty,
                      Cause('missing 1/N', f'a missing 1/N (N = {batch}): the cross-entropy is the mean over the '
                                           'samples, not the sum'))]
    if biases:
        with_biases = penalty + sum(float(np.sum(np.square(b))) for b in biases)
        mistakes.append((data_loss + reg / 2 * with_biases, 'biases are not regularised'))
    return mistakes


def l2_gradient_mistakes(grad, W, reg, batch):
    """Known wrong gradients of a weight matrix W under the L2 penalty.

    Inputs:
    - grad: the right gradient, L2 term lambda * W included
    - W: the weights
    - reg: lambda; nothing is recognisable when it is 0
    - batch: N
    """
    if not reg:
        return []
    data = grad - reg * W
    mistakes = [(grad + reg * W, 'the gradient of lambda/2 * sum(W**2) is lambda * W, not 2 * lambda * W'),
                (data, 'the L2 term lambda * W is missing from the gradient')]
    if batch > 1:
        mistakes += [(data + reg * W / batch, 'the L2 term is lambda * W, not lambda * W / N'),
                     (batch * data + reg * W, Cause('missing 1/N', f'a missing 1/N (N = {batch}) in the cross-entropy '
                                                                   'part of the gradient: average over the batch'))]
    return mistakes


def l2_bias_mistakes(grad, b, reg):
    """Known wrong gradients of a bias under L2 (which leaves biases alone)."""
    return [(grad + reg * b, 'biases are not regularised')] if reg else []


def hidden_layer_mistakes(target, prediction, W_o, x, W_h, b_h):
    """Known wrong gradients of part 3's hidden layer: {'W_h': [...], 'b_h': [...]}.

    Inputs: the arguments of dL_dW_h, with prediction the network's output for x.
    """
    z = x @ W_h + b_h
    delta = ((prediction - target) / len(x)) @ W_o.T          # dLoss/dh, (N, H)
    wrong = [(delta, "the ReLU's derivative is missing: multiply by gradRelu(x W_h + b_h) elementwise"),
             (delta * np.maximum(z, 0.0), 'multiply by gradRelu(z) (0 or 1), not by relu(z): relu(z) is used '
                                          'where its derivative belongs')]
    return {'W_h': [(x.T @ d, why) for d, why in wrong],
            'b_h': [(np.sum(d, axis=0, keepdims=True), why) for d, why in wrong]}


CONTRACT_MOMENTUM = 'the contract\'s step is v = momentum * v - epsilon * g, then p = p + v'


def contract_momentum_step(params, grads, velocity, epsilon, momentum):
    """The contract's momentum step: {'params': new params, 'velocity': new velocity}."""
    velocity = {k: momentum * velocity[k] - epsilon * grads[k] for k in params}
    return {'params': {k: params[k] + velocity[k] for k in params}, 'velocity': velocity}


def momentum_step_mistakes(params, grads, velocity, epsilon, momentum):
    """Known wrong results of momentum_step, judged on both of them together:
    [({'params': new params, 'velocity': new velocity}, explanation)].

    Inputs: the step's arguments, params, grads and velocity {key: array}.
    """
    keys = params.keys()
    right = {k: momentum * velocity[k] - epsilon * grads[k] for k in keys}
    flipped = {k: momentum * velocity[k] + epsilon * grads[k] for k in keys}
    unscaled = {k: momentum * velocity[k] - grads[k] for k in keys}
    plain = {k: -epsilon * grads[k] for k in keys}
    cases = [
        (flipped, {k: params[k] - flipped[k] for k in keys},
         "the velocity's sign convention differs from the contract's: v = momentum * v + epsilon * g with "
         'p = p - v moves the parameters the same way, but momentum_step receives and returns velocities in '
         f'the contract\'s convention ({CONTRACT_MOMENTUM})'),
        (flipped, {k: params[k] + flipped[k] for k in keys},
         f'the step must go against the gradient, and yours goes up the gradient: {CONTRACT_MOMENTUM}'),
        (right, {k: params[k] + velocity[k] for k in keys},
         'the parameters move by the old velocity: update the velocity first, then p = p + the new velocity'),
        (unscaled, {k: params[k] + epsilon * unscaled[k] for k in keys},
         f'epsilon scales the velocity instead of the gradient: {CONTRACT_MOMENTUM}'),
        (plain, {k: params[k] + plain[k] for k in keys},
         f'the momentum is ignored: the old velocity must carry over, {CONTRACT_MOMENTUM}'),
    ]
    return [({'params': new_params, 'velocity': new_velocity}, why) for new_velocity, new_params, why in cases]
