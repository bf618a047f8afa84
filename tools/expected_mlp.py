"""Compute the reference's outputs on Part 7's public inputs, and the wrong outputs of the
mistakes the public feedback names: expected_mlp.json.

Usage: python -m tools.expected_mlp [--check]
"""

import sys

import numpy as np

from grader.suites.hidden import initialisation
from grader.suites.hidden import mlp_mistakes as mistakes
from grader.suites.hidden import mlp_network as net
from grader.suites.hidden import mlp_training
from grader.suites.hidden.mistakes import l2_gradient_mistakes
from grader.suites.public import mlp_cases as cases
from grader.suites.public.expectations import FOLDER
from solution import mlp
from tools.expected import plain_data, write_or_check

PREDICT_ACT = 'relu'
SINGLE = 3           # the public test also labels the first SINGLE samples one at a time
# The calls of the public tests: (act, reg, keep_prob, seed) of mlp_loss_and_grads on network(batchnorm).
LOSS_CALLS = {'batchnorm_dropout': (True, ('relu', 0.1, 0.7, 11)), 'plain': (False, ('tanh', 0.1, 1.0, 0))}
INIT_SEED = 3


def layers_part(answers, wrong):
    """dropout_* and batchnorm_* on their public cases."""
    d, bn = cases.dropout_case(), cases.batchnorm_case()
    out, mask = mlp.dropout_forward(d['x'], 0.6, 7)
    answers['dropout_forward'] = {'out': out, 'mask': mask}
    dropout_wrong = mistakes.dropout_forward_mistakes(d['x'], 0.6, 7)
    wrong['dropout_forward_out'], wrong['dropout_forward_mask'] = dropout_wrong['out'], dropout_wrong['mask']
    answers['dropout_backward'] = mlp.dropout_backward(d['dout'], d['mask'], 0.5)
    wrong['dropout_backward'] = mistakes.dropout_backward_mistakes(d['dout'], d['mask'], 0.5)
    out, mean, var = mlp.batchnorm_forward(bn['x'], bn['gamma'], bn['beta'])
    answers['batchnorm_forward'] = {'out': out, 'mean': mean, 'var': var}
    forward_wrong = mistakes.batchnorm_forward_mistakes(bn['x'], bn['gamma'], bn['beta'])
    wrong['batchnorm_forward_out'], wrong['batchnorm_forward_var'] = forward_wrong['out'], forward_wrong['var']
    dx, dgamma, dbeta = mlp.batchnorm_backward(bn['dout'], bn['x'], bn['gamma'], bn['beta'])
    answers['batchnorm_backward'] = {'dx': dx, 'dgamma': dgamma, 'dbeta': dbeta}
    wrong['batchnorm_backward_dx'] = mistakes.batchnorm_backward_mistakes(bn['dout'], bn['x'], bn['gamma'])
    inference = (bn['x'], bn['gamma'], bn['beta'], bn['running_mean'], bn['running_var'])
    answers['batchnorm_inference'] = mlp.batchnorm_inference(*inference)
    wrong['batchnorm_inference'] = mistakes.batchnorm_inference_mistakes(*inference)


def init_part(answers, wrong):
    """init_mlp's params, and the draws of every kind of generator its recipe diagnosis compares a wrong Wl with."""
    answers[f'init_mlp_batchnorm_seed_{INIT_SEED}'] = mlp.init_mlp(cases.LAYERS, True, INIT_SEED)
    answers[f'init_mlp_plain_seed_{INIT_SEED}'] = mlp.init_mlp(cases.LAYERS, False, INIT_SEED)
    answers[f'init_mlp_draws_seed_{INIT_SEED}'] = initialisation.recipe_draws(cases.LAYERS, INIT_SEED)


def network_part(answers, wrong):
    """mlp_loss_and_grads and mlp_predict on their public networks."""
    for key, (batchnorm, (act, reg, keep_prob, seed)) in LOSS_CALLS.items():
        case = cases.network(batchnorm)
        X, y, params = case['X'], case['y'], case['params']
        loss, grads = mlp.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, seed)
        answers[f'mlp_loss_{key}'], answers[f'mlp_grads_{key}'] = loss, grads
        wrong[f'mlp_loss_{key}'] = mistakes.mlp_loss_mistakes(X, y, params, act, reg, keep_prob, seed)
        for name in grads:
            if name.startswith('W'):
                wrong[f'mlp_grads_{key}_{name}'] = l2_gradient_mistakes(grads[name], params[name], reg, len(y))
    case = cases.network(True)
    X, params = case['X'], case['params']
    answers['mlp_predict'] = mlp.mlp_predict(X, params, PREDICT_ACT)
    _check_predict_case(case, answers['mlp_predict'])
    wrong['mlp_predict'] = mistakes.mlp_predict_mistakes(X, params, PREDICT_ACT)
    for i in range(SINGLE):
        wrong[f'mlp_predict_sample_{i}'] = mistakes.mlp_predict_mistakes(X[i:i + 1], params, PREDICT_ACT)


def _check_predict_case(case, labels):
    """The public inputs of mlp_predict must tell the running statistics from the batch's, for
    the batch and for each sample labelled alone, or a submission using the batch's would pass."""
    X, params = case['X'], case['params']
    assert len(set(labels.tolist())) >= 3, labels
    assert (net.labels(X, params, PREDICT_ACT, 'train') != labels).any()
    for i in range(SINGLE):
        assert net.labels(X[i:i + 1], params, PREDICT_ACT, 'train')[0] != labels[i], i


def fit_part(answers, wrong):
    """The reference's mlp_fit on the public fit data: its start, its trajectory and the running statistics of known wrong rules."""
    data, fit, layers = cases.fit_data(), cases.FIT, cases.LAYERS
    X, y = data['X'], data['y']
    start = mlp.init_mlp(layers, fit['batchnorm'], fit['seed'])
    params, history = mlp.mlp_fit(X, y, layers, **fit, X_val=data['X_val'], y_val=data['y_val'])

    def step(X_batch, y_batch, params):
        return mlp.mlp_loss_and_grads(X_batch, y_batch, params, fit['actFun_type'], fit['reg_lambda'])

    replayed = mlp_training.replay(start, X, y, step, fit, layers)
    _check_replay(replayed, params, history)
    answers['mlp_fit'] = {'start': start, 'losses': history['loss'], 'params': params,
                          'train_accuracy': history['train_accuracy'], 'val_accuracy': history['val_accuracy'],
                          **{f'after_epoch_{e}': after for e, after in enumerate(replayed.epochs, start=1)}}
    for name in replayed.params:
        if name.startswith(net.RUNNING):
            wrong[f'mlp_fit_{name}'] = [(values[name], why) for why, values in replayed.running.items()]


def _check_replay(replayed, params, history):
    """The replay whose epochs the public test reads must be the reference's fit."""
    assert np.allclose(replayed.losses, history['loss'], rtol=1e-12)
    assert all(np.allclose(replayed.params[name], params[name], rtol=1e-10, atol=1e-14) for name in params)


def compute():
    """{'answers': {key: plain data}, 'mistakes': {key: [[value, explanation]]}} of every
    expectation Part 7's public tests look up."""
    answers, wrong = {}, {}
    for part in (layers_part, init_part, network_part, fit_part):
        part(answers, wrong)
    return plain_data({'answers': answers, 'mistakes': wrong})


def main(argv=None):
    return write_or_check(compute, FOLDER / cases.EXPECTED_FILE, 'tools.expected_mlp', argv)


if __name__ == '__main__':
    sys.exit(main())
