"""The mistakes students make in Parts 7 and 8 (dropout, batch normalisation, their
network and its training), each written once.

Every function returns known_mistakes for grader.engine.checks: pairs (the value a mistake
gives on the test's inputs, the explanation a student reads). A pair is shown only when the
submission's result equals that value, so an explanation never claims a cause it has not
recognised. The hidden suite uses them; tools/expected_mlp.py stores their values on the
public inputs for the public suite. Nothing here depends on the reference solution.
"""

import numpy as np

from grader.engine.checks import sentence

from . import mlp_network as net
from .mistakes import l2_loss_mistakes

UNBIASED_VARIANCE = ('the variance is divided by N - 1 (the unbiased estimate, ddof=1); batch norm uses the biased '
                     'variance of the batch, divided by N, as x.var(axis=0) computes by default')
EPS_OUTSIDE = 'eps is added after the square root; the contract divides by np.sqrt(var + eps)'
STD_FOR_VAR = 'this is the standard deviation; batchnorm_forward returns the variance, var (divided by N)'
CONSTANT_STATISTICS = ('this is dout * gamma / sqrt(var + eps), the gradient when the batch mean and variance are '
                       'constants; but both are computed from x, so every sample\'s output depends on every '
                       'sample\'s input: backpropagate through the mean and the variance as well (or use the compact '
                       'form, which subtracts two means over the batch)')
CONSTANT_VARIANCE = ('the path through the mean is there, but the batch variance is treated as a constant: it is '
                     'computed from x too, so its gradient adds - x_hat * mean(dx_hat * x_hat) / sqrt(var + eps)')
RUNNING_NOT_UPDATED = ('the running statistics are never updated: after every step, running_mean = 0.9 * running_mean '
                       '+ 0.1 * mean, and likewise running_var, with the batch statistics of that step')
RUNNING_SWAPPED = ('the weights of the running average are swapped: running = 0.9 * running + 0.1 * batch statistic, '
                   'not 0.1 * running + 0.9 * batch statistic')
RUNNING_AFTER_STEP = ('the running statistics are updated with batch statistics computed after the parameter update; '
                      'use those of the step\'s own forward pass, from before the update')
RUNNING_UNBIASED = ('running_var is updated with the unbiased variance of the batch (divided by N - 1); use the '
                    'variance batchnorm_forward computed, divided by N')
DROPOUT_UNSCALED = ('the kept units are not scaled by 1 / keep_prob: inverted dropout returns x * mask / keep_prob, '
                    'so that every unit keeps its expected value and nothing changes at test time')
DROPOUT_UNSCALED_BACKWARD = ('the 1 / keep_prob is missing: the forward pass multiplies x by mask / keep_prob, so the '
                             'backward pass multiplies dout by the same')
DROPOUT_TIMES_KEEP_PROB = ('dout is multiplied by keep_prob; the forward pass divides by keep_prob, so its gradient '
                           'does too: dout * mask / keep_prob')
MASK_REVERSED = ('the comparison of the mask is reversed: random >= keep_prob keeps a unit with probability '
                 '1 - keep_prob; keep_prob is the probability of keeping a unit, so keep it where random < keep_prob')
MASK_OTHER_DRAW = ('the mask keeps units at the right rate, but not the contract\'s units: keep a unit where '
                   'np.random.default_rng(seed).random(x.shape) < keep_prob, so that the masks can be compared exactly')
MASKS_PER_LAYER = ('every layer\'s mask is drawn from a new np.random.default_rng(seed), so all layers start the same '
                   'stream; the contract draws every mask from one generator, layer after layer')
BATCH_STATISTICS = ('the batch\'s own mean and variance are used; at inference batch norm uses running_mean and '
                    'running_var, so that a sample\'s output does not depend on the other samples of its batch')
VARIANCE_AS_STD = 'x - running_mean is divided by running_var + eps; divide by np.sqrt(running_var + eps)'
MASKS_FROM_BATCH_GENERATOR = ('the dropout masks are drawn from the generator that shuffles the batches, so every '
                              'epoch after the first has other batches than the contract\'s; draw the masks from a '
                              'generator of their own, for example np.random.default_rng([seed, step])')
NOT_REPEATABLE = ('the same arguments must give the same result: draw every random number from a generator '
                  'seeded from seed, never from np.random\'s global state or an unseeded default_rng()')
DROPOUT_NOT_APPLIED = 'keep_prob is not passed on to the training steps: the losses are those of a fit without dropout'


def dropout_forward_mistakes(x, keep_prob, seed):
    """Known wrong results of dropout_forward(x, keep_prob, seed): {'out': [...], 'mask': [...]}.

    Masks drawn by rules that keep units at the right rate but other units than the contract's
    (random >= 1 - keep_prob, a binomial draw) are told apart from a reversed comparison, which
    keeps them at the rate 1 - keep_prob; at keep_prob = 0.5 the two rates are one, and so is
    the mask of random >= 0.5: only the other draw is said then.
    """
    numbers = np.random.default_rng(seed).random(np.shape(x))
    draws = [(numbers >= 1 - keep_prob, MASK_OTHER_DRAW),
             (np.random.default_rng(seed).binomial(1, keep_prob, np.shape(x)), MASK_OTHER_DRAW)]
    if keep_prob != 0.5:
        draws.append((numbers >= keep_prob, MASK_REVERSED))
    mistakes = {'out': [(x * (numbers < keep_prob), DROPOUT_UNSCALED)], 'mask': []}
    for mask, why in draws:
        mask = mask.astype(float)
        if np.array_equal(mask, numbers < keep_prob):
            continue        # this rule draws the contract's mask for these arguments
        mistakes['mask'].append((mask, why))
        mistakes['out'] += [(x * mask / keep_prob, why), (x * mask, f'{sentence(DROPOUT_UNSCALED)} {sentence(why)}')]
    return mistakes


def dropout_backward_mistakes(dout, mask, keep_prob):
    """Known wrong results of dropout_backward(dout, mask, keep_prob)."""
    return [(dout * mask, DROPOUT_UNSCALED_BACKWARD), (dout * mask * keep_prob, DROPOUT_TIMES_KEEP_PROB)]


def batchnorm_forward_mistakes(x, gamma, beta, eps=net.EPS):
    """Known wrong results of batchnorm_forward(x, gamma, beta, eps): {'out': [...], 'var': [...]}."""
    mean, var = net.batch_statistics(x)
    n = len(x)
    mistakes = {'out': [(gamma * (x - mean) / (np.sqrt(var) + eps) + beta, EPS_OUTSIDE)],
                'var': [(np.sqrt(var), STD_FOR_VAR)]}
    if n > 1:
        unbiased = var * n / (n - 1)
        mistakes['out'].insert(0, (gamma * (x - mean) / np.sqrt(unbiased + eps) + beta, UNBIASED_VARIANCE))
        mistakes['var'].insert(0, (unbiased, UNBIASED_VARIANCE))
    return mistakes


def batchnorm_backward_mistakes(dout, x, gamma, eps=net.EPS):
    """Known wrong values of batchnorm_backward's dx."""
    mean, var = net.batch_statistics(x)
    inv_std = 1.0 / np.sqrt(var + eps)
    upstream = dout * gamma                   # the gradient with respect to x_hat
    return [(upstream * inv_std, CONSTANT_STATISTICS),
            ((upstream - upstream.mean(axis=0, keepdims=True)) * inv_std, CONSTANT_VARIANCE)]


def batchnorm_inference_mistakes(x, gamma, beta, running_mean, running_var, eps=net.EPS):
    """Known wrong results of batchnorm_inference."""
    mean, var = net.batch_statistics(x)
    return [(gamma * (x - mean) / np.sqrt(var + eps) + beta, BATCH_STATISTICS),
            (gamma * (x - running_mean) / (running_var + eps) + beta, VARIANCE_AS_STD)]


def mlp_loss_mistakes(X, y, params, act, reg, keep_prob, seed):
    """Known wrong losses of mlp_loss_and_grads: masks drawn or scaled another way, and the L2
    penalty's mistakes."""
    mistakes = []
    if keep_prob < 1:
        mistakes += [(net.loss(X, y, params, act, reg, net.dropout(keep_prob, seed, kind)), why)
                     for kind, why in (('unscaled', DROPOUT_UNSCALED), ('reversed', MASK_REVERSED),
                                       ('per layer', MASKS_PER_LAYER))]
    drop = net.dropout(keep_prob, seed) if keep_prob < 1 else None
    weights = [value for name, value in params.items() if name.startswith('W')]
    return mistakes + l2_loss_mistakes(net.loss(X, y, params, act, 0.0, drop), weights, reg, len(y))


def mlp_predict_mistakes(X, params, act):
    """Known wrong labels of mlp_predict: those of the batch's statistics."""
    return [(net.labels(X, params, act, 'train').astype(float), BATCH_STATISTICS)]
