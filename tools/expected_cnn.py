"""Compute the reference's outputs on Part 6's public inputs: expected_cnn.json.

Usage: python -m tools.expected_cnn [--check]
"""

import sys

from grader.suites.cnn_mistakes import flatten_mistakes
from grader.suites.public import cnn_cases as cases
from solution import cnn
from tools.expected import plain_data, write_or_check


def compute():
    """{key: plain data} for every expectation Part 6's public tests look up."""
    conv, pool, net = cases.convolution(), cases.pooling(), cases.network()
    out = {}
    for stride, pad in cases.CONV_SETTINGS:
        key = f'stride_{stride}_pad_{pad}'
        out[f'conv_forward_{key}'] = cnn.conv_forward(conv['x'], conv['W'], conv['b'], stride, pad)
        dx, dW, db = cnn.conv_backward(conv['dout'][stride, pad], conv['x'], conv['W'], conv['b'], stride, pad)
        out[f'conv_backward_{key}'] = {'dx': dx, 'dW': dW, 'db': db}
    for size, stride in cases.POOL_SETTINGS:
        key = f'size_{size}_stride_{stride}'
        out[f'maxpool_forward_{key}'] = cnn.maxpool_forward(pool['x'], size, stride)
        out[f'maxpool_backward_{key}'] = cnn.maxpool_backward(pool['dout'][size, stride], pool['x'], size, stride)
    out['init_cnn'] = cnn.init_cnn(**cases.INIT)
    X, y, params = net['X'], net['y'], net['params']
    out['cnn_loss_no_reg'] = cnn.cnn_loss_and_grads(X, y, params, 0.0)[0]
    out['cnn_loss'], out['cnn_grads'] = cnn.cnn_loss_and_grads(X, y, params, cases.REG)
    # The mistake of flattening the pooled maps channels last, for the feedback.
    out['cnn_loss_channels_last'], out['cnn_grads_channels_last'] = flatten_mistakes(
        params, lambda p: cnn.cnn_loss_and_grads(X, y, p, cases.REG), *X.shape[2:])
    out['cnn_predict'] = cnn.cnn_predict(net['images'], params)
    return plain_data(out)


def main(argv=None):
    return write_or_check(compute, cases.EXPECTED_FILE, 'tools.expected_cnn', argv)


if __name__ == '__main__':
    sys.exit(main())
