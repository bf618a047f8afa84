"""One call of every graded function with inputs of the contract's shapes, all arguments
positional: what the test of the student bundle calls every shipped function with."""

import numpy as np

from grader.spec import SPEC


def _dense(rng, layers):
    """Params {'W1', 'b1', ...} of a dense network [D, H1, ..., C]."""
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:]), start=1):
        params[f'W{l}'] = rng.standard_normal((fan_in, fan_out))
        params[f'b{l}'] = rng.standard_normal((1, fan_out)) * 0.1
    return params


def _cnn(rng):
    """init_cnn's params for images (2, 4, 4), 3 filters of 3 x 3, hidden 5, 3 classes."""
    return {'W1': rng.standard_normal((3, 2, 3, 3)) * 0.5, 'b1': rng.standard_normal(3) * 0.1,
            'W2': rng.standard_normal((12, 5)) * 0.4, 'b2': rng.standard_normal((1, 5)) * 0.1,
            'W3': rng.standard_normal((5, 3)), 'b3': rng.standard_normal((1, 3)) * 0.1}


def _mlp(rng):
    """init_mlp's params of [2, 5, 3] with batch norm."""
    return {'W1': rng.standard_normal((2, 5)), 'gamma1': 1 + 0.1 * rng.standard_normal((1, 5)),
            'beta1': 0.1 * rng.standard_normal((1, 5)), 'running_mean1': 0.1 * rng.standard_normal((1, 5)),
            'running_var1': 1 + rng.random((1, 5)), 'W2': rng.standard_normal((5, 3)),
            'b2': 0.1 * rng.standard_normal((1, 3))}


def calls():
    """{function: (module, args)} for every graded function that takes arguments."""
    rng = np.random.default_rng(2026)
    z = rng.standard_normal((4, 5)) * 2
    logits = rng.standard_normal((4, 3))
    prediction = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    target = np.eye(3)[[0, 2, 1, 2]]
    x, W_h, b_h, W_o = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((1, 5)), \
        rng.standard_normal((5, 3))
    h = np.maximum(x @ W_h + b_h, 0)
    X, y = rng.standard_normal((8, 2)), np.array([0, 1, 2, 0, 1, 2, 0, 1])
    two, deep = _dense(rng, [2, 4, 3]), _dense(rng, [2, 5, 4, 3])
    grads = {k: rng.standard_normal(v.shape) for k, v in two.items()}
    velocity = {k: rng.standard_normal(v.shape) for k, v in two.items()}
    images, labels = rng.standard_normal((5, 2, 4, 4)), np.array([0, 2, 1, 1, 0])
    conv_x, conv_W, conv_b = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    pool_x = rng.standard_normal((2, 2, 4, 6))
    bn_x, gamma, beta = rng.standard_normal((6, 5)), 1 + 0.1 * rng.standard_normal((1, 5)), rng.standard_normal((1, 5))
    mask = (rng.random((6, 5)) < 0.6) / 0.6
    mlp = _mlp(rng)
    return {
        'relu': ('activations', (z,)), 'gradRelu': ('activations', (z,)), 'sigmoid': ('activations', (z,)),
        'tanh': ('activations', (z,)), 'actFun': ('activations', (z, 'sigmoid')),
        'diff_actFun': ('activations', (z, 'tanh')),
        'softmax': ('losses', (logits,)), 'averageCE': ('losses', (target, prediction)),
        'gradCE': ('losses', (target, prediction)),
        'compute': ('two_layer', (x, W_h, b_h)), 'dL_dW_o': ('two_layer', (target, prediction, h)),
        'dL_db_o': ('two_layer', (target, prediction)),
        'dL_dW_h': ('two_layer', (target, prediction, W_o, x, W_h, b_h)),
        'dL_db_h': ('two_layer', (target, prediction, W_o, x, W_h, b_h)),
        'init_params': ('two_layer', (2, 4, 3, 7)), 'feedforward': ('two_layer', (X, two, 'tanh')),
        'calculate_loss': ('two_layer', (X, y, two, 'tanh', 0.1)), 'backprop': ('two_layer', (X, y, two, 'relu', 0.1)),
        'predict': ('two_layer', (X, two, 'sigmoid')),
        'momentum_step': ('two_layer', (two, grads, velocity, 0.1, 0.9)),
        'fit_model': ('two_layer', (X, y, 4, 'tanh', 0.05, 5, 0.01, 0.9, 3)),
        'init_deep': ('deep', ([2, 5, 4, 3], 7)), 'deep_feedforward': ('deep', (X, deep, 'relu')),
        'deep_loss': ('deep', (X, y, deep, 'tanh', 0.1)), 'deep_backprop': ('deep', (X, y, deep, 'tanh', 0.1)),
        'deep_predict': ('deep', (X, deep, 'tanh')),
        'deep_fit': ('deep', (X, y, [2, 5, 4, 3], 'tanh', 0.05, 5, 0.01, 0.9, 3)),
        'conv_forward': ('cnn', (conv_x, conv_W, conv_b, 1, 1)),
        'conv_backward': ('cnn', (rng.standard_normal((2, 4, 5, 6)), conv_x, conv_W, conv_b, 1, 1)),
        'maxpool_forward': ('cnn', (pool_x, 2, 2)),
        'maxpool_backward': ('cnn', (rng.standard_normal((2, 2, 2, 3)), pool_x, 2, 2)),
        'init_cnn': ('cnn', ((2, 4, 4), 3, 3, 5, 3, 7)), 'cnn_loss_and_grads': ('cnn', (images, labels, _cnn(rng), 0.1)),
        'cnn_predict': ('cnn', (images, _cnn(rng))),
        'cnn_fit': ('cnn', (images, labels, 2, 3, 3, 0.1, 0.9, 0.01, 2, 3, 3)),
        'dropout_forward': ('mlp', (bn_x, 0.6, 7)), 'dropout_backward': ('mlp', (bn_x, mask, 0.6)),
        'batchnorm_forward': ('mlp', (bn_x, gamma, beta, 1e-5)),
        'batchnorm_backward': ('mlp', (rng.standard_normal((6, 5)), bn_x, gamma, beta, 1e-5)),
        'batchnorm_inference': ('mlp', (bn_x, gamma, beta, mlp['running_mean1'], mlp['running_var1'], 1e-5)),
        'init_mlp': ('mlp', ([2, 5, 3], True, 7)),
        'mlp_loss_and_grads': ('mlp', (X, y, mlp, 'relu', 0.1, 0.8, 4)),
        'mlp_predict': ('mlp', (X, mlp, 'relu')),
        'mlp_fit': ('mlp', (X, y, [2, 5, 3], 'relu', 0.05, 0.9, 0.01, 0.8, True, 2, 3, 3)),
    }


def graded_with_arguments():
    """The graded functions that take arguments: every one but tuned_hyperparameters, a choice."""
    return [name for module in SPEC.modules for name in module.functions if name != 'tuned_hyperparameters']
