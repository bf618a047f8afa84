"""Compute the reference's outputs on Part 6's public inputs, and the wrong answers of the known
mistakes on them: expected_cnn.json, {"answers": {key: value}, "mistakes": {key: [[value, why]]}}.

Usage: python -m tools.expected_cnn [--check]
"""

import sys

from grader.suites.hidden import cnn_mistakes as known
from grader.suites.hidden.mistakes import l2_loss_mistakes
from grader.suites.public import cnn_cases as cases
from grader.suites.public.cnn_fits import run_mistakes, wrong_runs
from solution import cnn
from tools.expected import plain_data, write_or_check


def convolutions(answers, mistakes):
    """conv_forward and conv_backward on the public convolution, for each of CONV_SETTINGS."""
    c = cases.convolution()
    for stride, pad in cases.CONV_SETTINGS:
        key, dout = f'stride_{stride}_pad_{pad}', c['dout'][stride, pad]
        answers[f'conv_forward_{key}'] = cnn.conv_forward(c['x'], c['W'], c['b'], stride, pad)
        mistakes[f'conv_forward_{key}'] = known.conv_forward_mistakes(c['x'], c['W'], c['b'], stride, pad)
        dx, dW, db = cnn.conv_backward(dout, c['x'], c['W'], c['b'], stride, pad)
        answers[f'conv_backward_{key}'] = {'dx': dx, 'dW': dW, 'db': db}
        for name, wrong in known.conv_backward_mistakes(dout, c['x'], c['W'], stride, pad).items():
            mistakes[f'conv_backward_{key}_{name}'] = wrong


def pooling(answers, mistakes):
    """maxpool_forward and maxpool_backward on the public pooling input, for each of POOL_SETTINGS."""
    p = cases.pooling()
    for size, stride in cases.POOL_SETTINGS:
        key, dout = f'size_{size}_stride_{stride}', p['dout'][size, stride]
        answers[f'maxpool_forward_{key}'] = cnn.maxpool_forward(p['x'], size, stride)
        mistakes[f'maxpool_forward_{key}'] = known.maxpool_forward_mistakes(p['x'], size, stride)
        answers[f'maxpool_backward_{key}'] = cnn.maxpool_backward(dout, p['x'], size, stride)
        mistakes[f'maxpool_backward_{key}'] = known.maxpool_backward_mistakes(dout, p['x'], size, stride)


def initialisation(answers, mistakes):
    """init_cnn's params, the raw draws of every kind of generator and the scales students use,
    from which the public test names what differs in a weight."""
    params = cnn.init_cnn(**cases.INIT)
    answers['init_cnn'] = params
    shapes = {name: params[name].shape for name in known.WEIGHTS}
    draws = known.generators(shapes, cases.INIT['seed'])
    for name, shape in shapes.items():
        mistakes[f'init_cnn_generators_{name}'] = draws[name]
        mistakes[f'init_cnn_scales_{name}'] = known.scales(name, shape)


def network(answers, mistakes):
    """cnn_loss_and_grads and cnn_predict on the public network, with the mistakes of L2 and of
    flattening the pooled maps channels last."""
    n = cases.network()
    X, y, params = n['X'], n['y'], n['params']
    answers['cnn_loss'], grads = cnn.cnn_loss_and_grads(X, y, params, cases.REG)
    answers['cnn_grads'] = grads
    channels_last = known.flatten_mistakes(params, lambda p: cnn.cnn_loss_and_grads(X, y, p, cases.REG), *X.shape[2:])
    mistakes['cnn_loss'] = l2_loss_mistakes(cnn.cnn_loss_and_grads(X, y, params, 0.0)[0],
                                            [params[w] for w in ('W1', 'W2', 'W3')], cases.REG, len(y),
                                            [params[b] for b in ('b1', 'b2', 'b3')]) + [(channels_last[0],
                                                                                          known.FLATTEN)]
    for name, wrong in known.gradient_mistakes(grads, params, cases.REG, len(y), channels_last[1]).items():
        mistakes[f'cnn_grads_{name}'] = wrong
    answers['cnn_predict'] = cnn.cnn_predict(n['images'], params)


def training(answers, mistakes):
    """The reference's cnn_fit on the public data: its init, its run, and the runs of the
    known wrong schedules and of momentum ignored from that init."""
    X, y = cases.fit_data()
    fit = cases.FIT
    params0 = cnn.init_cnn(X.shape[1:], fit['num_filters'], fit['filter_size'], fit['hidden_dim'], 3,
                           seed=fit['seed'])

    def step(X_batch, y_batch, params):
        return cnn.cnn_loss_and_grads(X_batch, y_batch, params, fit['reg_lambda'])

    answers['cnn_fit_init'] = params0
    params, losses = cnn.cnn_fit(X, y, **fit)
    answers['cnn_fit'] = {'params': params, 'losses': losses}
    for name, wrong in run_mistakes(wrong_runs(params0, step, X, y, fit)).items():
        mistakes[f'cnn_fit_{name}'] = wrong


def compute():
    """{'answers': ..., 'mistakes': ...} for every expectation Part 6's public tests look up."""
    answers, mistakes = {}, {}
    for part in (convolutions, pooling, initialisation, network, training):
        part(answers, mistakes)
    return plain_data({'answers': answers, 'mistakes': mistakes})


def main(argv=None):
    return write_or_check(compute, cases.EXPECTED_FILE, 'tools.expected_cnn', argv)


if __name__ == '__main__':
    sys.exit(main())
