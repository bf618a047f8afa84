"""Compute the reference's outputs on Part 7's public inputs: expected_mlp.json.

Usage: python -m tools.expected_mlp [--check]
"""

import sys

from grader.suites import mlp_network as net
from grader.suites.public import mlp_cases as cases
from solution import mlp
from tools.expected import plain_data, write_or_check

PREDICT_ACT = 'relu'
SINGLE = 3           # the public test also labels the first SINGLE samples one at a time


def compute():
    """{key: plain data} for every expectation Part 7's public tests look up."""
    bn, normed, plain = cases.batchnorm_case(), cases.network(True), cases.network(False)
    dx, dgamma, dbeta = mlp.batchnorm_backward(bn['dout'], bn['x'], bn['gamma'], bn['beta'])
    dropout_loss, dropout_grads = mlp.mlp_loss_and_grads(normed['X'], normed['y'], normed['params'], 'relu', 0.1,
                                                         0.7, 11)
    plain_loss, plain_grads = mlp.mlp_loss_and_grads(plain['X'], plain['y'], plain['params'], 'tanh', 0.1)
    out = {
        'batchnorm_backward': {'dx': dx, 'dgamma': dgamma, 'dbeta': dbeta},
        'init_mlp_batchnorm_seed_3': mlp.init_mlp(cases.LAYERS, True, 3),
        'init_mlp_plain_seed_3': mlp.init_mlp(cases.LAYERS, False, 3),
        'mlp_loss_batchnorm_dropout': dropout_loss,
        'mlp_grads_batchnorm_dropout': dropout_grads,
        'mlp_loss_plain': plain_loss,
        'mlp_grads_plain': plain_grads,
        'mlp_predict': mlp.mlp_predict(normed['X'], normed['params'], PREDICT_ACT),
    }
    _check_predict_case(normed, out['mlp_predict'])
    return plain_data(out)


def _check_predict_case(case, labels):
    """The public inputs of mlp_predict must tell the running statistics from the batch's, for
    the batch and for each sample labelled alone, or a submission using the batch's would pass."""
    X, params = case['X'], case['params']
    assert len(set(labels.tolist())) >= 3, labels
    assert (net.labels(X, params, PREDICT_ACT, 'train') != labels).any()
    for i in range(SINGLE):
        assert net.labels(X[i:i + 1], params, PREDICT_ACT, 'train')[0] != labels[i], i


def main(argv=None):
    return write_or_check(compute, cases.EXPECTED_FILE, 'tools.expected_mlp', argv)


if __name__ == '__main__':
    sys.exit(main())
