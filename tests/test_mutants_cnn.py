"""Realistic bugs in copies of the reference cnn.py: each loses points on a test tagged with
the broken function, only there, and the feedback names the cause when it is a known
mistake (and claims none when it is not).

The network (cnn_forward, cnn_loss_and_grads) calls the building blocks conv_forward,
conv_backward, maxpool_forward and maxpool_backward. A bug in a block would also break
the network's tests, rightly; to show that the block's own tests catch it, the mutants
keep the network on pristine copies of the blocks. Each group below is graded as one
submission: its bugs sit in functions whose tests do not feed each other.
"""

import ast
import math
from pathlib import Path

import pytest

from grader.engine import grading
from grader.spec import SPEC
from tests.submissions import ROOT, build, failed

PART_6 = SPEC.offering([6])          # cnn.py's bugs cannot reach the other parts
SOURCE = (ROOT / 'solution' / 'cnn.py').read_text()

# The network's calls of each building block.
NETWORK_CALLS = {
    'conv_forward': 'conv = conv_forward(X,',
    'maxpool_forward': 'pooled = maxpool_forward(conv_relu,',
    'maxpool_backward': 'dconv = maxpool_backward(dpooled,',
    'conv_backward': "_, dW1, grads['b1'] = conv_backward(dconv,",
}


def pristine(function, name=None):
    """The reference's source of `function`, renamed."""
    node = next(n for n in ast.parse(SOURCE).body if isinstance(n, ast.FunctionDef) and n.name == function)
    text = ast.get_source_segment(SOURCE, node)
    return text.replace(f'def {function}(', f'def {name or "_network_" + function}(', 1)


def isolated(blocks):
    """(edits, appended source) that make the network call pristine copies of these blocks."""
    edits = [('cnn.py', NETWORK_CALLS[block], NETWORK_CALLS[block].replace(f'{block}(', f'_network_{block}('))
             for block in blocks]
    return edits, '\n\n\n'.join(pristine(block) for block in blocks)


PAD_OUT = "dx = col2im(dout_rows @ W.reshape(F, -1), x.shape, k, stride, pad)"
PADDED = ("dx = col2im(dout_rows @ W.reshape(F, -1), (x.shape[0], x.shape[1], x.shape[2] + 2 * pad, "
          "x.shape[3] + 2 * pad), k, stride, 0)")
ROUTE = 'dwindows[np.arange(len(winner)), winner] = dout.reshape(-1)'
FORWARD = "out = cols @ W.reshape(F, -1).T + b "
POOL_SIZE = ("    out_h, out_w = output_size(H, size, stride), output_size(W, size, stride)\n"
             "    windows = im2col(x.reshape(N * C, 1, H, W), size, stride)   #")
PERMUTATION = '        order = rng.permutation(len(X))\n'
EPOCHS = '    for _ in range(num_epochs):\n'
INIT_GENERATOR = 'rng = np.random.default_rng(seed)\n    return {'
INIT = ('    params = init_cnn(X.shape[1:], num_filters, filter_size, hidden_dim, int(np.max(y)) + 1, seed)\n'
        '    velocity = {name: np.zeros_like(p) for name, p in params.items()}\n'
        '    rng = np.random.default_rng(seed)   # shuffles only; init_cnn had its own generator\n')
INLINE_INIT = '''    rng = np.random.default_rng(seed)
    C, H, W = X.shape[1:]
    flat, classes = num_filters * (H // 2) * (W // 2), int(np.max(y)) + 1
    params = {'W1': rng.standard_normal((num_filters, C, filter_size, filter_size)) / np.sqrt(C * filter_size ** 2),
              'b1': np.zeros(num_filters),
              'W2': rng.standard_normal((flat, hidden_dim)) / np.sqrt(flat), 'b2': np.zeros((1, hidden_dim)),
              'W3': rng.standard_normal((hidden_dim, classes)) / np.sqrt(hidden_dim), 'b3': np.zeros((1, classes))}
    velocity = {name: np.zeros_like(p) for name, p in params.items()}
'''
STRIDE_IGNORED = '''
def conv_backward(dout, x, W, b, stride=1, pad=0):
    k = W.shape[2]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dW = np.zeros_like(x_pad), np.zeros_like(W)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x_pad[:, :, i:i + k, j:j + k]
            dW += np.einsum('nf,ncpq->fcpq', dout[:, :, i, j], window)
            dx_pad[:, :, i:i + k, j:j + k] += np.einsum('nf,fcpq->ncpq', dout[:, :, i, j], W)
    return dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dW, dout.sum(axis=(0, 2, 3))
'''
OVERWRITE = '''
def maxpool_backward(dout, x, size=2, stride=2):
    N, C = x.shape[:2]
    dx = np.zeros_like(x)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing='ij')
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
            window = x[:, :, rows, cols].reshape(N, C, -1)
            grad = np.zeros_like(window)
            grad[n, c, window.argmax(axis=2)] = dout[:, :, i, j]
            dx[:, :, rows, cols] = grad.reshape(N, C, size, size)
    return dx
'''
CHANNELS_LAST = pristine('cnn_forward', '_channels_last_forward').replace(
    'flat = pooled.reshape(len(X), -1)', 'flat = pooled.transpose(0, 2, 3, 1).reshape(len(X), -1)')
NO_PAD = 'output_size(H, k, stride, pad), output_size(Wd, k, stride, pad)\n    cols = im2col(x, k, stride, pad)'
LAST_TIE = 'winner = windows.shape[1] - 1 - windows[:, ::-1].argmax(axis=1)'
EVERY_TIE = 'dwindows = (windows == windows.max(axis=1, keepdims=True)) * dout.reshape(-1, 1)'
UNFLATTEN = "dpooled = (dz2 @ W2.T).reshape(cache['pooled'].shape)"
UNFLATTEN_CHANNELS_LAST = ("dpooled = (dz2 @ W2.T).reshape(cache['pooled'].transpose(0, 2, 3, 1).shape)"
                           '.transpose(0, 3, 1, 2)')
PREDICT = 'return np.argmax(cnn_forward(X, params)[0], axis=1)'
LOSS_FORWARD = 'scores, cache = cnn_forward(X, params)'
EACH_LAYER = [(f'rng.standard_normal(({shape}))', f'np.random.default_rng(seed).standard_normal(({shape}))')
              for shape in ('flat_dim, hidden_dim', 'hidden_dim, num_classes')]

# A bug: name -> (function, [(old, new)] edits of cnn.py, source appended to it, words its feedback
# must hold together).
BUGS = {
    'flipped kernel': (
        'conv_forward', [(FORWARD, 'out = cols @ W[:, :, ::-1, ::-1].reshape(F, -1).T + b ')], '',
        'the kernel is flipped'),
    'bias not added': (
        'conv_forward', [(FORWARD, 'out = cols @ W.reshape(F, -1).T ')], '', 'the bias b is not added'),
    'no padding in the forward pass (wrong output size)': (
        'conv_forward', [(NO_PAD, NO_PAD.replace('pad)', '0)'))], '', ('returned shape', 'the input is not padded')),
    'dx keeps the padding': (
        'conv_backward', [(PAD_OUT, PADDED)], '', ('returned shape', 'dx still holds the padding')),
    'dx cut with [pad:-pad]': (
        'conv_backward', [(PAD_OUT, PADDED + '[:, :, pad:-pad, pad:-pad]')], '',
        ('returned shape', 'dx is empty', 'pad:pad + H')),
    'db of shape (1, F)': (
        'conv_backward', [('db = dout_rows.sum(axis=0)', 'db = dout_rows.sum(axis=0, keepdims=True)')], '',
        'one number per filter'),
    'db summed over the wrong axes': (
        'conv_backward', [('db = dout_rows.sum(axis=0)', 'db = dout.sum(axis=(0, 2))')], '',
        'db sums dout over the axes (0, 2)'),
    'stride ignored in the backward pass': (
        'conv_backward', [], STRIDE_IGNORED, ('the stride is ignored', 'its gradient goes back there')),
    'pooling windows every size pixels': (
        'maxpool_forward', [(POOL_SIZE, POOL_SIZE.replace('size, stride)', 'size, size)'))], '',
        'the windows start every size = 3 pixels'),
    'max-pool gradient to the whole window': (
        'maxpool_backward', [(ROUTE, 'dwindows[:] = dout.reshape(-1, 1)')], '', 'every entry of a window gets'),
    'max-pool gradient averaged': (
        'maxpool_backward', [(ROUTE, 'dwindows[:] = dout.reshape(-1, 1) / (size * size)')], '',
        'averaged over the window'),
    'max-pool gradient to the last tied maximum': (
        'maxpool_backward', [('winner = windows.argmax(axis=1)', LAST_TIE)], '', 'the last of them gets the gradient'),
    'max-pool gradient to every tied maximum': (
        'maxpool_backward', [(ROUTE, EVERY_TIE)], '', 'every one of them gets the gradient'),
    'overlapping windows overwrite': (
        'maxpool_backward', [], OVERWRITE, 'where windows overlap (stride < size)'),
    'legacy generator': (
        'init_cnn', [(INIT_GENERATOR, INIT_GENERATOR.replace('default_rng', 'RandomState'))], '',
        'np.random.seed/randn draws other numbers'),
    'a generator per layer': (
        'init_cnn', EACH_LAYER, '', 'every layer drew the same numbers'),
    'W1 divided by sqrt(k * k)': (
        'init_cnn', [('/ np.sqrt(C * k * k)', '/ np.sqrt(k * k)')], '', 'the fan-in of a filter is C * k * k'),
    'flattened channels last': (
        'cnn_loss_and_grads', [(LOSS_FORWARD, LOSS_FORWARD.replace('cnn_forward', '_channels_last_forward')),
                               (UNFLATTEN, UNFLATTEN_CHANNELS_LAST)], CHANNELS_LAST, 'flattened in another order'),
    'missing 1/N in the gradient': (
        'cnn_loss_and_grads', [('    dscores /= N\n', '')], '', 'a missing 1/N'),
    'L2 missing': (
        'cnn_loss_and_grads', [(LOSS_FORWARD, 'reg_lambda = 0.0\n    ' + LOSS_FORWARD)], '',
        'the L2 penalty is missing'),
    'predict along the wrong axis': (
        'cnn_predict', [(PREDICT, PREDICT.replace('axis=1', 'axis=0'))], '', 'expected (12,)'),
    'batches not reshuffled': (
        'cnn_fit', [(EPOCHS + PERMUTATION, PERMUTATION[4:] + EPOCHS)], '', 'the batches are not reshuffled'),
    'batches shuffled by the init generator': (
        'cnn_fit', [(INIT, INLINE_INIT)], '', 'the generator that drew the initial weights'),
    'batches not shuffled': (
        'cnn_fit', [(PERMUTATION, PERMUTATION.replace('rng.permutation', 'np.arange'))], '',
        'the batches are not shuffled'),
    'momentum ignored': (
        'cnn_fit', [('velocity, epsilon, momentum)', 'velocity, epsilon, 0.0)')], '', 'the momentum is ignored'),
}

# Each group is one submission, graded with the suite given; no two bugs of a group are in one
# function, and none feeds another's tests. cnn_fit starts from init_cnn and steps with
# cnn_loss_and_grads, so bugs of cnn_fit go with neither. Two bugs of cnn_loss_and_grads go to
# the public suite alone: the hidden accuracy test trains with the student's own gradients and
# labels the result with the contract's network, and a fit with N times the step, or one that
# learned weights for another flattening order, rightly misses it (and cnn_fit loses points too).
GROUPS = {
    'flipped kernel, padded dx, size-stride pooling, whole window, predict axis, no reshuffle': ('all', [
        'flipped kernel', 'dx keeps the padding', 'pooling windows every size pixels',
        'max-pool gradient to the whole window', 'predict along the wrong axis', 'batches not reshuffled']),
    'no bias, dx empty, averaged pooling, init generator': ('all', [
        'bias not added', 'dx cut with [pad:-pad]', 'max-pool gradient averaged',
        'batches shuffled by the init generator']),
    'no padding, db (1, F), last tie, unshuffled': ('all', [
        'no padding in the forward pass (wrong output size)', 'db of shape (1, F)',
        'max-pool gradient to the last tied maximum', 'batches not shuffled']),
    'db axes, every tied maximum, momentum ignored': ('all', [
        'db summed over the wrong axes', 'max-pool gradient to every tied maximum', 'momentum ignored']),
    'stride ignored, overwrite, legacy init, L2 missing': ('all', [
        'stride ignored in the backward pass', 'overlapping windows overwrite', 'legacy generator', 'L2 missing']),
    'flattened channels last, a generator per layer': ('public', ['flattened channels last', 'a generator per layer']),
    'missing 1/N, W1 by sqrt(k * k)': ('public', ['missing 1/N in the gradient', 'W1 divided by sqrt(k * k)']),
}


def mutant(folder, names):
    """A copy of the reference with these bugs, its network on pristine building blocks."""
    functions = {BUGS[name][0] for name in names}
    edits, copies = isolated([block for block in NETWORK_CALLS if block in functions])
    edits += [('cnn.py', old, new) for name in names for old, new in BUGS[name][1]]
    appended = '\n\n'.join(source for source in [copies] + [BUGS[name][2] for name in names] if source)
    return build(folder, replace=edits, append={'cnn.py': appended} if appended else None)


def assert_diagnosed(results, function, diagnosis):
    """A failed test tagged with `function` has feedback holding every word of `diagnosis`."""
    blamed = [t for t in failed(results) if function in t['tags']]
    assert blamed, f'no failed test is tagged {function}: {[t["name"] for t in failed(results)]}'
    words = (diagnosis,) if isinstance(diagnosis, str) else diagnosis
    assert any(all(word.lower() in t['output'].lower() for word in words) for t in blamed), \
        '\n---\n'.join(t['output'] for t in blamed)


def test_every_bug_is_in_one_group():
    names = [name for _, group in GROUPS.values() for name in group]
    assert sorted(names) == sorted(BUGS)
    for _, group in GROUPS.values():
        functions = [BUGS[name][0] for name in group]
        assert len(set(functions)) == len(functions), group
        assert not ('cnn_fit' in functions and {'init_cnn', 'cnn_loss_and_grads'} & set(functions)), group


@pytest.mark.parametrize('suite, names', GROUPS.values(), ids=GROUPS.keys())
def test_bugs_lose_points_only_on_their_functions_with_their_diagnosis(tmp_path, suite, names):
    results = grading.grade(mutant(tmp_path / 'sub', names), PART_6, suite)
    functions = {BUGS[name][0] for name in names}
    for test in failed(results):
        assert len(test['tags']) == 1 and test['tags'][0] in functions, (test['name'], test['tags'], test['output'])
    for name in names:
        function, _, _, diagnosis = BUGS[name]
        assert_diagnosed(results, function, diagnosis)


KNOWN_CAUSES = ('kernel is flipped', 'every entry of a window', 'averaged over', 'last of them', 'every one of them',
                'where windows overlap', 'times the expected', 'factor of', 'stride is ignored', 'holds the padding')


def test_a_mistake_that_is_not_recognised_gets_no_cause(tmp_path):
    """A max-pool gradient whose windows take their dout entries in the wrong order is no known
    mistake: the feedback says what differs and claims no cause."""
    edits, copies = isolated(['maxpool_backward'])
    folder = build(tmp_path / 'sub', replace=edits + [('cnn.py', ROUTE, ROUTE.replace('dout.reshape(-1)',
                                                                                    'dout[..., ::-1].reshape(-1)'))],
                   append={'cnn.py': copies})
    results = grading.grade(folder, PART_6, 'public')
    feedback = [t['output'] for t in failed(results)]
    assert feedback and all(t['tags'] == ['maxpool_backward'] for t in failed(results))
    assert all('wrong values' in text for text in feedback), feedback
    assert not any(cause in text.lower() for text in feedback for cause in KNOWN_CAUSES), feedback
