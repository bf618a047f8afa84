"""Realistic one-line bugs in the reference: each loses points on a test tagged with the
broken function, and the feedback names the likely cause."""

import pytest

from grader.spec import SPEC
from tests.submissions import build, failed, grade

def parts_of(*functions):
    """The offering of the parts the tests of these functions count in: where their bugs must
    show. Grading those parts alone keeps a mutant to seconds."""
    return SPEC.offering(sorted({SPEC.part_of(function).number for function in functions}))


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
    results = grade(build(tmp_path / 'sub', replace=[(file, old, new)]), 'all', parts_of(function))
    assert results['score'] < results['extra_data']['max_score']
    assert_diagnosed(results, function, diagnosis)


def assert_diagnosed(results, function, diagnosis):
    """A failed test tagged with `function` has feedback holding every word of `diagnosis`
    (a string, or a tuple of strings that one test's feedback must hold together), in any case."""
    blamed = [t for t in failed(results) if function in t['tags']]
    assert blamed, f'no failed test is tagged {function}: {[t["name"] for t in failed(results)]}'
    words = (diagnosis,) if isinstance(diagnosis, str) else diagnosis
    assert any(all(word.lower() in t['output'].lower() for word in words) for t in blamed), \
        '\n---\n'.join(t['output'] for t in blamed)


CE = 'return float(-np.sum(target[hit] * np.log(prediction[hit])) / target.shape[0])'
GRAD_CE = 'return (prediction - target) / target.shape[0]'
SOFTMAX_AGAIN = 'p = np.exp(prediction) / np.sum(np.exp(prediction), axis=1, keepdims=True)\n    '
MOMENTUM = ('new_velocity = {k: momentum * velocity[k] - epsilon * grads[k] for k in params}\n'
            '    new_params = {k: params[k] + new_velocity[k] for k in params}')
INIT_PARAMS = ("    rng = np.random.default_rng(seed)\n    return {\n"
               "        'W1': rng.standard_normal((nn_input_dim, nn_hidden_dim)) / np.sqrt(nn_input_dim),\n"
               "        'b1': np.zeros((1, nn_hidden_dim)),\n"
               "        'W2': rng.standard_normal((nn_hidden_dim, nn_output_dim)) / np.sqrt(nn_hidden_dim),")
INIT_DEEP_DRAW = "        params[f'W{l}'] = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)"
DB_H = ('    dz = (gradCE(target, prediction) @ W_o.T) * gradRelu(compute(x, W_h, b_h))\n'
        '    return np.sum(dz, axis=0, keepdims=True)')
PENALTY = 'return averageCE(target, probs) + 0.5 * reg_lambda * float(penalty)\n    # END SOLUTION\n\n\ndef '

# Bugs real students bring from other versions of this homework. Each group is graded as
# one submission: its bugs sit in functions whose tests do not feed each other.
# (name, file, old, new, broken function, words its feedback must hold together)
CONVENTION_GROUPS = {
    'log10, gradCE of the probabilities, flipped velocity, legacy init, a generator per layer': [
        ('cross-entropy with log10', 'losses.py', CE, CE.replace('np.log(', 'np.log10('),
         'averageCE', ('0.434294 times', 'base-10 logarithm')),
        ('gradCE with respect to the probabilities', 'losses.py', GRAD_CE,
         'return -target / (target.shape[0] * prediction)', 'gradCE', 'with respect to the probabilities'),
        ('velocity with the opposite sign', 'two_layer.py', MOMENTUM,
         MOMENTUM.replace('- epsilon', '+ epsilon').replace('params[k] + new', 'params[k] - new'),
         'momentum_step', "velocity's sign convention differs from the contract's"),
        ('legacy np.random.seed and randn', 'two_layer.py', INIT_PARAMS,
         INIT_PARAMS.replace('rng = np.random.default_rng(seed)', 'np.random.seed(seed)')
         .replace('rng.standard_normal((nn_input_dim, nn_hidden_dim))', 'np.random.randn(nn_input_dim, nn_hidden_dim)')
         .replace('rng.standard_normal((nn_hidden_dim, nn_output_dim))', 'np.random.randn(nn_hidden_dim, nn_output_dim)'),
         'init_params', 'np.random.seed/randn draws other numbers: use np.random.default_rng(seed)'),
        ('a new generator for every layer', 'deep.py', INIT_DEEP_DRAW,
         INIT_DEEP_DRAW.replace('rng.standard_normal', 'np.random.default_rng(seed).standard_normal'),
         'init_deep', 'every layer drew the same numbers'),
    ],
    'softmax applied again twice, transposed draws, a seed ignored, the old velocity': [
        ('cross-entropy of softmax(prediction)', 'losses.py', CE,
         SOFTMAX_AGAIN + 'return float(-np.sum(target * np.log(p)) / target.shape[0])',
         'averageCE', 'softmax is applied to the probabilities again'),
        ('gradCE of softmax(prediction)', 'losses.py', GRAD_CE, SOFTMAX_AGAIN + 'return (p - target) / target.shape[0]',
         'gradCE', 'softmax is applied to the probabilities again'),
        ('weights drawn (fan_out, fan_in) and transposed', 'two_layer.py', INIT_PARAMS,
         INIT_PARAMS.replace('rng.standard_normal((nn_input_dim, nn_hidden_dim))',
                             'rng.standard_normal((nn_hidden_dim, nn_input_dim)).T'),
         'init_params', 'drawn with shape (fan_out, fan_in) and transposed'),
        ('init_deep ignores its seed', 'deep.py', '    rng = np.random.default_rng(seed)\n    params = {}',
         '    rng = np.random.default_rng(0)\n    params = {}', 'init_deep', 'the seed is ignored'),
        ('parameters moved by the old velocity', 'two_layer.py', MOMENTUM,
         MOMENTUM.replace('params[k] + new_velocity[k]', 'params[k] + velocity[k]'),
         'momentum_step', 'the parameters move by the old velocity'),
    ],
    'lambda/(2N) twice, relu(z) for its derivative, backprop without 1/N and keepdims, init by 1/fan_in': [
        ('L2 penalty divided by 2N', 'two_layer.py', PENALTY + 'loss_and_grads',
         PENALTY.replace('0.5 * reg_lambda', 'reg_lambda / (2 * len(y))') + 'loss_and_grads',
         'calculate_loss', 'not lambda/(2N) * sum(W**2)'),
        ('deep L2 penalty divided by 2N', 'deep.py', 'return averageCE(target, probs) + 0.5 * reg_lambda * float(penalty)',
         'return averageCE(target, probs) + reg_lambda / (2 * len(y)) * float(penalty)',
         'deep_loss', 'not lambda/(2N) * sum(W**2)'),
        ('dL_db_h multiplied by relu(z)', 'two_layer.py', DB_H,
         DB_H.replace('gradRelu(compute(x, W_h, b_h))', 'np.maximum(compute(x, W_h, b_h), 0.0)'),
         'dL_db_h', 'not by relu(z)'),
        ('backprop without 1/N and with b1 of shape (H,)', 'two_layer.py',
         "    do /= len(y)\n    dz1 = (do @ W2.T) * diff_actFun(z1, actFun_type)    # (N, H)\n    grads = {\n"
         "        'W1': X.T @ dz1 + reg_lambda * W1,\n        'b1': dz1.sum(axis=0, keepdims=True),",
         "    dz1 = (do @ W2.T) * diff_actFun(z1, actFun_type)    # (N, H)\n    grads = {\n"
         "        'W1': X.T @ dz1 + reg_lambda * W1,\n        'b1': dz1.sum(axis=0),",
         'backprop', ('keepdims=True', 'a missing 1/N')),
        ('init_deep divided by fan_in', 'deep.py', INIT_DEEP_DRAW, INIT_DEEP_DRAW.replace('np.sqrt(fan_in)', 'fan_in'),
         'init_deep', 'not by np.sqrt(fan_in)'),
    ],
}


@pytest.mark.parametrize('group', CONVENTION_GROUPS.values(), ids=CONVENTION_GROUPS.keys())
def test_conventions_of_other_versions_lose_points_with_the_right_diagnosis(tmp_path, group):
    results = grade(build(tmp_path / 'sub', replace=[(file, old, new) for _, file, old, new, _, _ in group]), 'all',
                    parts_of(*(function for *_, function, _ in group)))
    for name, _, _, _, function, diagnosis in group:
        assert_diagnosed(results, function, diagnosis)


def test_a_mistake_that_is_not_recognised_gets_no_cause(tmp_path):
    """A cross-entropy summed over every pair of samples is not a known mistake: the feedback
    says what differs and claims no factor."""
    label_dot_log = ('losses.py', CE, 'return float(-np.sum(np.log(np.clip(prediction, 1e-300, None)) @ target.T) '
                                      '/ target.shape[0])')
    results = grade(build(tmp_path / 'sub', replace=[label_dot_log]), 'public', parts_of('averageCE'))
    feedback = [t['output'] for t in failed(results) if 'averageCE' in t['tags']]
    assert feedback and all('returned' in text and 'expected' in text for text in feedback), feedback
    assert not any('times the expected' in text or 'factor' in text for text in feedback), feedback


# One function broken, everything else correct: every failed test is tagged with it alone.
# gradRelu's callers compute relu's derivative themselves, so that only gradRelu is broken.
ONE_BROKEN = {
    'gradRelu not implemented': ('gradRelu', [
        ('activations.py', 'return (x > 0).astype(np.float64)', 'raise NotImplementedError'),
        ('activations.py', "    if type == 'relu':\n        return gradRelu(z)",
         "    if type == 'relu':\n        return (z > 0).astype(np.float64)"),
        ('two_layer.py', "    dz = (gradCE(target, prediction) @ W_o.T) * gradRelu(compute(x, W_h, b_h))\n    return x.T @ dz",
         "    dz = (gradCE(target, prediction) @ W_o.T) * (compute(x, W_h, b_h) > 0)\n    return x.T @ dz"),
        ('two_layer.py', DB_H, DB_H.replace('gradRelu(compute(x, W_h, b_h))', '(compute(x, W_h, b_h) > 0)')),
        ('cnn.py', "* gradRelu(cache['z2'])", "* (cache['z2'] > 0)"),
        ('cnn.py', "* gradRelu(cache['conv'])", "* (cache['conv'] > 0)")]),
    # The public accuracy test labels with the student's predict, or, when it fails its own
    # case, with the student's feedforward.
    'predict along the wrong axis': ('predict', [
        ('two_layer.py', 'return np.argmax(feedforward(X, params, actFun_type), axis=1)',
         'return np.argmax(feedforward(X, params, actFun_type), axis=0)')]),
    'deep_fit without momentum': ('deep_fit', [
        ('deep.py', 'params, velocity = momentum_step(params, grads, velocity, epsilon, momentum)',
         'params, velocity = momentum_step(params, grads, velocity, epsilon, 0.0)')]),
}


@pytest.mark.parametrize('function, edits', ONE_BROKEN.values(), ids=ONE_BROKEN.keys())
def test_only_the_broken_function_loses_points(tmp_path, function, edits):
    results = grade(build(tmp_path / 'sub', replace=edits), 'all')
    assert failed(results)
    assert all(t['tags'] == [function] for t in failed(results)), \
        [(t['name'], t['tags']) for t in failed(results) if t['tags'] != [function]]


def test_a_fit_is_judged_with_the_students_own_init_loss_and_gradients(tmp_path):
    """From an init that is not the reference's, a fit that follows the update rule with the
    student's own wrong loss and gradients passes the tests of that rule: the init, the loss and
    the gradients lose points in their own tests. (Its accuracy on make_moons, from another
    start, is another matter.)"""
    init = (INIT_PARAMS, INIT_PARAMS.replace('/ np.sqrt(nn_input_dim)', '/ nn_input_dim'))
    no_half = [(PENALTY + 'loss_and_grads', PENALTY.replace('0.5 * reg_lambda', 'reg_lambda') + 'loss_and_grads'),
               ('+ 0.5 * reg_lambda * ((W1 ** 2).sum()', '+ reg_lambda * ((W1 ** 2).sum()'),
               ("'W1': X.T @ dz1 + reg_lambda * W1,", "'W1': X.T @ dz1 + 2 * reg_lambda * W1,"),
               ("'W2': a1.T @ do + reg_lambda * W2,", "'W2': a1.T @ do + 2 * reg_lambda * W2,")]
    results = grade(build(tmp_path / 'sub', replace=[('two_layer.py', old, new) for old, new in [init, *no_half]]),
                    'public', parts_of('fit_model'))
    blamed = {tag for t in failed(results) for tag in t['tags']}
    replays = [t['name'] for t in failed(results) if 'fit_model' in t['tags'] and 'make_moons' not in t['name']]
    assert {'init_params', 'calculate_loss', 'backprop'} <= blamed and not replays, replays


@pytest.mark.parametrize('seed', [50, 59])
def test_a_constant_deep_predict_fails_the_hidden_test_when_a_random_net_has_one_class(tmp_path, seed):
    """All-NaN outputs make argmax return class 0 everywhere. With these grading seeds the
    hidden test's first random net sends every sample to class 0."""
    constant = ('deep.py', 'return np.argmax(deep_feedforward(X, params, actFun_type), axis=1)',
                'return np.zeros(len(X), dtype=int)')
    results = grade(build(tmp_path / 'sub', replace=[constant]), 'all', parts_of('deep_predict'), seed=seed)
    hidden = [t for t in failed(results) if t['name'].endswith("deep_predict matches the reference's labels")]
    assert hidden, [t['name'] for t in failed(results)]
