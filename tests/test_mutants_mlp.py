"""Realistic bugs in the reference's mlp.py (Parts 7 and 8): each loses points on tests tagged
with the broken function only, and the feedback names the likely cause.

A bug in a building block (batchnorm_forward, dropout_backward, ...) would also break the
functions that call it, and rightly cost their tests too; to prove that the suites blame the
function that is broken, the callers of the broken function use a correct copy of it, as a
student who wrote the network's passes inline would. Part 7's bugs are graded with Part 7
alone and Part 8's with Part 8 alone: neither part's tests run the other's code (the tuning
task trains the reference's mlp_fit).
"""

import ast

import pytest

from grader.engine import grading
from grader.spec import SPEC
from grader.suites.hidden import mlp_mistakes
from grader.suites.public import mlp_checks
from tests.submissions import ROOT, build, failed

SOURCE = (ROOT / 'solution' / 'mlp.py').read_text()


def grade(folder, parts):
    return grading.grade(folder, SPEC.offering(parts), 'all')


def function_source(name):
    """The source of a function of the reference's mlp.py."""
    node = next(node for node in ast.parse(SOURCE).body if isinstance(node, ast.FunctionDef) and node.name == name)
    return ast.get_source_segment(SOURCE, node)


def copy_of(name, new_name, old=None, new=None):
    """A function of mlp.py under another name, with one edit when old is given."""
    text = function_source(name).replace(f'def {name}(', f'def {new_name}(', 1)
    if old is not None:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def in_callers_too(function, calls):
    """Edits that make the callers of `function` call a correct copy of it instead: (replace, append).

    - calls: the call sites' texts, each unique in mlp.py, starting with the function's name
    """
    copy = f'_correct_{function}'
    return [('mlp.py', call, call.replace(function, copy, 1)) for call in calls], copy_of(function, copy)


BN_FORWARD_CALL = 'batchnorm_forward(\n                h, params'
BN_BACKWARD_CALL = 'batchnorm_backward(\n                dz, h'
FIT_INIT = 'init_mlp(layer_sizes, batchnorm, seed)\n    learnable'
BN_INFERENCE_CALL = 'batchnorm_inference(h, params'
DROPOUT_BACKWARD_CALL = 'dropout_backward(da, mask, keep_prob)'
LOSS_AND_GRADS_CALL = 'loss, grads, _ = mlp_forward_backward(X, y, params, actFun_type, reg_lambda, keep_prob, seed)'
VAR = 'var = x.var(axis=0, keepdims=True)\n    x_hat'
DX = ('    dx = inv_std * (dx_hat - dx_hat.mean(axis=0, keepdims=True)\n'
      '                    - x_hat * (dx_hat * x_hat).mean(axis=0, keepdims=True))')
RUNNING = 'params[running] = RUNNING * params[running] + (1.0 - RUNNING) * value'
STEP_SEED = 'seed=[seed, step])'
MASK = 'mask = (rng.random(a_out.shape) < keep_prob).astype(np.float64)'
TUNED = ("    return dict(hidden_sizes=[128], actFun_type='relu', epsilon=0.1, momentum=0.9,\n"
         "                reg_lambda=0.0, keep_prob=1.0, batchnorm=False, num_epochs=200, batch_size=128)")


def building_block(function, calls, old, new):
    """A bug in `function` whose callers use a correct copy: (replace, append)."""
    replace, copy = in_callers_too(function, calls)
    return [('mlp.py', old, new), *replace], copy


def in_loss_and_grads(old, new):
    """A bug in the passes of mlp_loss_and_grads alone (mlp_fit keeps the correct helper): (replace, append)."""
    return ([('mlp.py', LOSS_AND_GRADS_CALL, LOSS_AND_GRADS_CALL.replace('mlp_forward_backward', '_own_passes'))],
            copy_of('mlp_forward_backward', '_own_passes', old, new))


def in_fit(old, new):
    return [('mlp.py', old, new)], ''


def in_init(old, new):
    """A bug in init_mlp; mlp_fit starts from a correct copy, as a fit that draws its own start would."""
    return building_block('init_mlp', [FIT_INIT], old, new)


# name: (broken function, (replace, append), words the feedback of one of its failed tests holds)
BUGS = {
    'unbiased variance': ('batchnorm_forward', building_block(
        'batchnorm_forward', [BN_FORWARD_CALL], VAR, VAR.replace('keepdims=True)', 'keepdims=True, ddof=1)')),
        'divided by N - 1'),
    'eps added after the square root': ('batchnorm_forward', building_block(
        'batchnorm_forward', [BN_FORWARD_CALL], 'x_hat = (x - mean) / np.sqrt(var + eps)',
        'x_hat = (x - mean) / (np.sqrt(var) + eps)'), 'eps is added after the square root'),
    'batch-norm backward with constant statistics': ('batchnorm_backward', building_block(
        'batchnorm_backward', [BN_BACKWARD_CALL], DX, '    dx = dx_hat * inv_std'),
        'the batch mean and variance are constants'),
    'batch-norm backward with a constant variance': ('batchnorm_backward', building_block(
        'batchnorm_backward', [BN_BACKWARD_CALL], DX,
        '    dx = inv_std * (dx_hat - dx_hat.mean(axis=0, keepdims=True))'), 'the batch variance is treated'),
    'dgamma and dbeta of shape (D,)': ('batchnorm_backward', building_block(
        'batchnorm_backward', [BN_BACKWARD_CALL],
        '    dbeta = dout.sum(axis=0, keepdims=True)\n    dgamma = (dout * x_hat).sum(axis=0, keepdims=True)',
        '    dbeta = dout.sum(axis=0)\n    dgamma = (dout * x_hat).sum(axis=0)'), 'keepdims=True'),
    'dropout without 1/keep_prob': ('dropout_forward', in_fit(
        'return x * mask / keep_prob, mask', 'return x * mask, mask'), 'not scaled by 1 / keep_prob'),
    'dropout mask reversed': ('dropout_forward', in_fit(
        'random(x.shape) < keep_prob)', 'random(x.shape) >= keep_prob)'), 'the comparison of the mask is reversed'),
    'dropout mask of booleans': ('dropout_forward', in_fit(
        'random(x.shape) < keep_prob).astype(np.float64)', 'random(x.shape) < keep_prob)'), 'float'),
    'dropout_backward without 1/keep_prob': ('dropout_backward', building_block(
        'dropout_backward', [DROPOUT_BACKWARD_CALL], 'return dout * mask / keep_prob', 'return dout * mask'),
        'the 1 / keep_prob is missing'),
    'batchnorm_inference with the batch statistics': ('batchnorm_inference', building_block(
        'batchnorm_inference', [BN_INFERENCE_CALL],
        'return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta',
        'return batchnorm_forward(x, gamma, beta, eps)[0]'), "the batch's own mean and variance are used"),
    'init_mlp keeps the hidden biases': ('init_mlp', in_init(
        "del params[f'b{l}']                   # beta plays the bias's part", 'pass'), 'has no bias bl'),
    'init_mlp starts running_var at zeros': ('init_mlp', in_fit(
        "params[f'running_var{l}'] = np.ones((1, n))", "params[f'running_var{l}'] = np.zeros((1, n))"),
        'every entry of running_varl starts at 1'),
    'init_mlp starts running_var at zeros, mlp_fit at ones': ('init_mlp', in_init(
        "params[f'running_var{l}'] = np.ones((1, n))", "params[f'running_var{l}'] = np.zeros((1, n))"),
        'every entry of running_varl starts at 1'),
    'masks scaled by nothing in the network': ('mlp_loss_and_grads', in_loss_and_grads(
        'a_out = a_out * mask / keep_prob', 'a_out = a_out * mask'), 'not scaled by 1 / keep_prob'),
    'masks reversed in the network': ('mlp_loss_and_grads', in_loss_and_grads(MASK, MASK.replace('<', '>=')),
                                      'the comparison of the mask is reversed'),
    'a new generator for every layer\'s mask': ('mlp_loss_and_grads', in_loss_and_grads(
        MASK, MASK.replace('rng.random', 'np.random.default_rng(seed).random')), 'a new np.random.default_rng(seed)'),
    'L2 penalty without the 1/2': ('mlp_loss_and_grads', in_loss_and_grads(
        'np.log(probs[rows, y]).mean() + 0.5 * reg_lambda * penalty', 'np.log(probs[rows, y]).mean() + reg_lambda * penalty'),
        'not lambda * sum(W**2)'),
    'mlp_predict with the batch statistics': ('mlp_predict', in_fit(
        "z = batchnorm_inference(h, params[f'gamma{l}'], params[f'beta{l}'],\n"
        "                                    params[f'running_mean{l}'], params[f'running_var{l}'])",
        "z = batchnorm_forward(h, params[f'gamma{l}'], params[f'beta{l}'])[0]"),
        "the batch's own mean and variance are used"),
    'running statistics never updated': ('mlp_fit', in_fit(RUNNING, 'params[running] = params[running]'),
                                         'never updated'),
    'running statistics with swapped weights': ('mlp_fit', in_fit(
        RUNNING, 'params[running] = (1.0 - RUNNING) * params[running] + RUNNING * value'), 'swapped'),
    'running statistics from after the step': ('mlp_fit', in_fit(
        '            params.update(learned)\n',
        '            params.update(learned)\n            batch_stats = mlp_forward_backward(X[batch], y[batch], params, '
        'actFun_type, reg_lambda, keep_prob, seed=[seed, step])[2]\n'), 'after the parameter update'),
    'momentum ignored': ('mlp_fit', in_fit('grads,\n                                              velocity, epsilon, momentum)',
                                           'grads,\n                                              velocity, epsilon, 0.0)'),
                         'the momentum is ignored'),
    'batches not reshuffled': ('mlp_fit', in_fit(
        '    for _ in range(num_epochs):\n        order = rng.permutation(len(X))\n',
        '    order = rng.permutation(len(X))\n    for _ in range(num_epochs):\n'), 'not reshuffled'),
    'batches shuffled with the init generator': ('mlp_fit', in_fit(
        '    rng = np.random.default_rng(seed)   # shuffles only\n',
        '    rng = np.random.default_rng(seed)\n    for pair in zip(layer_sizes[:-1], layer_sizes[1:]):\n'
        '        rng.standard_normal(pair)\n'), 'the generator that drew the initial weights'),
    'dropout masks from the batch generator': ('mlp_fit', in_fit(STEP_SEED, 'seed=rng)'),
                                               'drawn from the generator that shuffles the batches'),
    'dropout masks from an unseeded generator': ('mlp_fit', in_fit(STEP_SEED, 'seed=None)'),
                                                 'the same arguments must give the same result'),
    'epsilon of the defaults in the fit': ('mlp_fit', in_fit(
        'grads,\n                                              velocity, epsilon, momentum)',
        'grads,\n                                              velocity, 0.05, momentum)'), 'though with epsilon 0'),
    'no dropout in the fit': ('mlp_fit', in_fit('keep_prob, ' + STEP_SEED, '1.0, ' + STEP_SEED),
                              'keep_prob is not passed on'),
    'no ValueError for X_val alone': ('mlp_fit', in_fit(
        'if (X_val is None) != (y_val is None):', 'if X_val is None and y_val is not None:'), 'must raise ValueError'),
    'accuracy in percent': ('mlp_fit', in_fit(
        "history['train_accuracy'].append(float(np.mean(", "history['train_accuracy'].append(100 * float(np.mean("),
        'not a percentage'),
}


@pytest.mark.parametrize('function, edits, diagnosis', BUGS.values(), ids=BUGS.keys())
def test_a_part_7_bug_costs_its_function_only_with_the_right_diagnosis(tmp_path, function, edits, diagnosis):
    replace, append = edits
    results = grade(build(tmp_path / 'sub', replace=replace, append={'mlp.py': append} if append else None), [7])
    assert_blamed(results, function, diagnosis)


def assert_blamed(results, function, diagnosis):
    """Points are lost on tests tagged with `function` only, and one of them says `diagnosis`."""
    lost = failed(results)
    assert lost, 'the bug costs nothing'
    assert all(test['tags'] == [function] for test in lost), [(t['name'], t['tags']) for t in lost]
    assert any(diagnosis.lower() in test['output'].lower() for test in lost), '\n---\n'.join(t['output'] for t in lost)


TUNING_BUGS = {
    'over the budget': ("    return dict(hidden_sizes=[128], num_epochs=400)", 0.0,
                        ('breaks the rules of part 8', 'num_epochs * n_train * weights')),
    'the defaults': ('    return {}', 1.0, ('nothing is tuned yet', "with the contract's defaults",
                                              'graded apart from your own mlp_fit', 'at least 0.9')),
    'not a dict': ("    return [('num_epochs', 200)]", 0.0, ('must return a dict',)),
    'an unknown key': ("    return dict(hidden_sizes=[128], learning_rate=0.1)", 0.0,
                       ("'learning_rate' is not one of the arguments",)),
}


@pytest.mark.parametrize('choice, score, words', TUNING_BUGS.values(), ids=TUNING_BUGS.keys())
def test_a_wrong_tuning_choice_costs_part_8_with_a_clear_message(tmp_path, choice, score, words):
    results = grade(build(tmp_path / 'sub', replace=[('mlp.py', TUNED, choice)]), [8])
    assert results['score'] == score
    lost = failed(results)
    assert all(test['tags'] == ['tuned_hyperparameters'] for test in lost)
    for test in lost:
        if 'held-out' in test['name'] or score == 0:
            assert all(word.lower() in test['output'].lower() for word in words), test['output']


def test_a_mistake_that_is_not_recognised_gets_no_cause(tmp_path):
    """A batch-norm backward pass off by a factor no known mistake gives names no cause."""
    replace, append = building_block('batchnorm_backward', [BN_BACKWARD_CALL], DX, DX.replace('inv_std *', '1.5 * inv_std *'))
    results = grade(build(tmp_path / 'sub', replace=replace, append={'mlp.py': append}), [7])
    lost = failed(results)
    assert lost and all(test['tags'] == ['batchnorm_backward'] for test in lost)
    causes = [text for name, text in vars(mlp_mistakes).items() if name.isupper() and isinstance(text, str)]
    causes += [mlp_checks.BIAS_KEPT, mlp_checks.RUNNING_IN_GRADS]
    for test in lost:
        assert not any(cause[:40].lower() in test['output'].lower() for cause in causes), test['output']
        assert 'times the expected' not in test['output'] or '1.5 times' in test['output'], test['output']
