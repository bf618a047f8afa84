"""Realistic one-line bugs in the reference: each loses points on a test tagged with the
broken function, and the feedback names the likely cause."""

import pytest

from grader.grading import grade
from tests.submissions import build, failed

# The reference's softmax works on the transpose for speed; the softmax bugs are written
# into the plain form a student would write.
SOFTMAX = ('    classes = np.ascontiguousarray(x.T)\n    e = np.exp(classes - np.max(classes, axis=0))\n'
           '    return (e / np.sum(e, axis=0)).T\n')

# (name, file, old, new, broken function, words the feedback must contain)
BUGS = [
    ('softmax without the max shift', 'losses.py', SOFTMAX,
     '    e = np.exp(x)\n    return e / np.sum(e, axis=1, keepdims=True)\n',
     'softmax', "subtract each row's max"),
    ('softmax normalised down the columns', 'losses.py', SOFTMAX,
     '    e = np.exp(x - np.max(x, axis=1, keepdims=True))\n    return e / np.sum(e, axis=0, keepdims=True)\n',
     'softmax', 'each column sums to 1 instead of each row'),
    ('cross-entropy averaged over N*C', 'losses.py',
     'return float(-np.sum(target[hit] * np.log(prediction[hit])) / target.shape[0])',
     'return float(-np.sum(target[hit] * np.log(prediction[hit])) / target.size)',
     'averageCE', 'extra 1/C'),
    ('cross-entropy summed, not averaged', 'losses.py',
     'return float(-np.sum(target[hit] * np.log(prediction[hit])) / target.shape[0])',
     'return float(-np.sum(target[hit] * np.log(prediction[hit])))',
     'averageCE', 'missing 1/N'),
    ('cross-entropy with 0 * log(0)', 'losses.py',
     'return float(-np.sum(target[hit] * np.log(prediction[hit])) / target.shape[0])',
     'return float(-np.sum(target * np.log(prediction)) / target.shape[0])',
     'averageCE', 'log'),
    ('gradCE without 1/N', 'losses.py',
     'return (prediction - target) / target.shape[0]', 'return prediction - target',
     'gradCE', '1/N'),
    ('gradCE with the sign flipped', 'losses.py',
     'return (prediction - target) / target.shape[0]', 'return (target - prediction) / target.shape[0]',
     'gradCE', 'sign'),
    ('relu used as its own derivative', 'activations.py',
     'return (x > 0).astype(np.float64)', 'return np.maximum(x, 0.0)',
     'gradRelu', 'relu itself'),
    ('gradRelu is 1 at exactly 0', 'activations.py',
     'return (x > 0).astype(np.float64)', 'return (x >= 0).astype(np.float64)',
     'gradRelu', 'exactly 0'),
    ('gradRelu returns booleans', 'activations.py',
     'return (x > 0).astype(np.float64)', 'return x > 0',
     'gradRelu', 'float'),
    ('sigmoid that overflows for large x', 'activations.py',
     'return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))', 'return np.exp(x) / (1.0 + np.exp(x))',
     'sigmoid', 'NaN or inf'),
    ("tanh' written with z instead of tanh(z)", 'activations.py',
     'return 1.0 - tanh(z) ** 2', 'return 1.0 - z ** 2',
     'diff_actFun', 'square tanh(z)'),
    ("sigmoid' written as sigmoid", 'activations.py',
     'return s * (1.0 - s)', 'return s',
     'diff_actFun', 's * (1 - s)'),
    ('unknown activation returns None', 'activations.py',
     "    raise ValueError(f\"unknown activation {type!r}: expected 'tanh', 'sigmoid' or 'relu'\")\n    # END SOLUTION\n\n\ndef diff_actFun",
     "    return None\n    # END SOLUTION\n\n\ndef diff_actFun",
     'actFun', 'must raise ValueError'),
    ('compute forgets the bias', 'two_layer.py',
     '    return x @ W + b\n', '    return x @ W\n',
     'compute', 'bias b is not added'),
    ('dL_dW_o transposed', 'two_layer.py',
     'return h.T @ gradCE(target, prediction)', 'return gradCE(target, prediction).T @ h',
     'dL_dW_o', 'transposed'),
    ('dL_db_o shaped (C,)', 'two_layer.py',
     'return np.sum(gradCE(target, prediction), axis=0, keepdims=True)',
     'return np.sum(gradCE(target, prediction), axis=0)',
     'dL_db_o', 'keepdims=True'),
    ("dL_dW_h without relu's derivative", 'two_layer.py',
     "    dz = (gradCE(target, prediction) @ W_o.T) * gradRelu(compute(x, W_h, b_h))\n    return x.T @ dz",
     "    dz = gradCE(target, prediction) @ W_o.T\n    return x.T @ dz",
     'dL_dW_h', "ReLU's derivative is missing"),
    ('dL_db_h shaped (H,)', 'two_layer.py',
     'return np.sum(dz, axis=0, keepdims=True)', 'return np.sum(dz, axis=0)',
     'dL_db_h', 'keepdims=True'),
    ('L2 penalty without the 1/2', 'two_layer.py',
     'return averageCE(target, probs) + 0.5 * reg_lambda * float(penalty)\n    # END SOLUTION\n\n\ndef loss_and_grads',
     'return averageCE(target, probs) + reg_lambda * float(penalty)\n    # END SOLUTION\n\n\ndef loss_and_grads',
     'calculate_loss', 'not lambda * sum(W**2)'),
    ('L2 gradient 2 lambda W', 'two_layer.py',
     "'W1': X.T @ dz1 + reg_lambda * W1,", "'W1': X.T @ dz1 + 2 * reg_lambda * W1,",
     'backprop', 'not 2 * lambda * W'),
    ('L2 gradient missing', 'two_layer.py',
     "'W2': a1.T @ do + reg_lambda * W2,", "'W2': a1.T @ do,",
     'backprop', 'lambda * W is missing'),
    ('backprop uses the activation, not its derivative', 'two_layer.py',
     'dz1 = (do @ W2.T) * diff_actFun(z1, actFun_type)', 'dz1 = (do @ W2.T) * actFun(z1, actFun_type)',
     'backprop', 'numerical gradient check'),
    ('init_params scaled by 1/fan_in', 'two_layer.py',
     "'W1': rng.standard_normal((nn_input_dim, nn_hidden_dim)) / np.sqrt(nn_input_dim),",
     "'W1': rng.standard_normal((nn_input_dim, nn_hidden_dim)) / nn_input_dim,",
     'init_params', '1/sqrt(fan_in)'),
    ('predict along the wrong axis', 'two_layer.py',
     'return np.argmax(feedforward(X, params, actFun_type), axis=1)',
     'return np.argmax(feedforward(X, params, actFun_type), axis=0)',
     'predict', 'shape'),
    ('momentum step climbs the gradient', 'two_layer.py',
     'new_velocity = {k: momentum * velocity[k] - epsilon * grads[k] for k in params}',
     'new_velocity = {k: momentum * velocity[k] + epsilon * grads[k] for k in params}',
     'momentum_step', 'against the gradient'),
    ('fit_model ignores momentum', 'two_layer.py',
     'params, velocity = momentum_step(params, grads, velocity, epsilon, momentum)\n    return params, losses\n    # END SOLUTION\n',
     'params, velocity = momentum_step(params, grads, velocity, epsilon, 0.0)\n    return params, losses\n    # END SOLUTION\n',
     'fit_model', 'momentum is ignored'),
    ('fit_model with a tenth of the learning rate', 'two_layer.py',
     'params, velocity = momentum_step(params, grads, velocity, epsilon, momentum)\n    return params, losses\n    # END SOLUTION\n',
     'params, velocity = momentum_step(params, grads, velocity, epsilon / 10, momentum)\n    return params, losses\n    # END SOLUTION\n',
     'fit_model', 'v = momentum * v - epsilon * grad'),
    ('deep backprop without the activation derivative', 'deep.py',
     'dz = (dz @ W.T) * diff_actFun(pre_acts[l - 2], actFun_type)', 'dz = dz @ W.T',
     'deep_backprop', 'numerical gradient check'),
    ('deep loss regularises all but the last layer', 'deep.py',
     'penalty = sum(np.sum(params[f\'W{l}\'] ** 2) for l in range(1, num_layers(params) + 1))',
     'penalty = sum(np.sum(params[f\'W{l}\'] ** 2) for l in range(1, num_layers(params)))',
     'deep_loss', 'deep_loss'),
    ('deep_fit climbs the gradient', 'deep.py',
     'params, velocity = momentum_step(params, grads, velocity, epsilon, momentum)',
     'params, velocity = momentum_step(params, grads, velocity, -epsilon, momentum)',
     'deep_fit', 'up the gradient'),
]


@pytest.mark.parametrize('name, file, old, new, function, diagnosis', BUGS, ids=[bug[0] for bug in BUGS])
def test_bug_loses_points_with_the_right_diagnosis(tmp_path, name, file, old, new, function, diagnosis):
    results = grade(build(tmp_path / 'sub', replace=[(file, old, new)]), 'all')
    assert results['score'] < 100
    blamed = [t for t in failed(results) if function in t['tags']]
    assert blamed, f'no failed test is tagged {function}: {[t["name"] for t in failed(results)]}'
    outputs = '\n---\n'.join(t['output'] for t in blamed)
    assert diagnosis in outputs, outputs


@pytest.mark.parametrize('seed', [50, 59])
def test_a_constant_deep_predict_fails_the_hidden_test_when_a_random_net_has_one_class(tmp_path, seed):
    """All-NaN outputs make argmax return class 0 everywhere. With these grading seeds the
    hidden test's first random net sends every sample to class 0."""
    constant = ('deep.py', 'return np.argmax(deep_feedforward(X, params, actFun_type), axis=1)',
                'return np.zeros(len(X), dtype=int)')
    results = grade(build(tmp_path / 'sub', replace=[constant]), 'all', seed=seed)
    hidden = [t for t in failed(results) if t['name'].endswith("deep_predict matches the reference's labels")]
    assert hidden, [t['name'] for t in failed(results)]
