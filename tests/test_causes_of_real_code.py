"""Mistakes as students write them get their own cause, and only theirs: a mask drawn by another
rule is not called reversed, overlapping windows that overwrite are named wherever they fail,
and the handout's pitfalls of im2col's layout are recognised."""

import pytest

from grader.spec import SPEC
from tests.submissions import build, failed, grade

MASK = 'mask = (np.random.default_rng(seed).random(x.shape) < keep_prob).astype(np.float64)'

DROPOUT = {
    'kept where random >= 1 - keep_prob': (
        [('mlp.py', MASK, 'mask = (np.random.default_rng(seed).random(x.shape) >= 1 - keep_prob).astype(float)')],
        'right rate, but not the contract\'s units'),
    'a binomial mask': (
        [('mlp.py', MASK, 'mask = np.random.default_rng(seed).binomial(1, keep_prob, x.shape).astype(float)')],
        'right rate, but not the contract\'s units'),
    'a binomial mask, unscaled': (
        [('mlp.py', MASK, 'mask = np.random.default_rng(seed).binomial(1, keep_prob, x.shape).astype(float)'),
         ('mlp.py', 'return x * mask / keep_prob, mask', 'return x * mask, mask')],
        'not scaled by 1 / keep_prob'),
}


@pytest.mark.parametrize('name', DROPOUT)
def test_a_mask_drawn_at_the_right_rate_is_not_called_reversed(tmp_path, name):
    edits, cause = DROPOUT[name]
    results = grade(build(tmp_path / 'sub', replace=edits), 'all', SPEC.offering([7]))
    tests = [test for test in failed(results) if test['tags'] == ['dropout_forward']]
    assert tests
    assert all('reversed' not in test['output'] for test in tests)
    assert all(cause in test['output'] for test in tests), [test['output'] for test in tests]


OVERWRITING_POOL = '''
def maxpool_backward(dout, x, size=2, stride=2):
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + r, j * stride + q] = dout[n, c, i, j]
    return dx
'''


def test_overlapping_windows_that_overwrite_are_named_in_every_test_they_fail(tmp_path):
    results = grade(build(tmp_path / 'sub', append={'cnn.py': OVERWRITING_POOL}), 'all', SPEC.offering([6]))
    tests = [test for test in failed(results) if test['tags'] == ['maxpool_backward']]
    assert len(tests) >= 3
    assert all('gets only the last window\'s dout entry' in test['output'] for test in tests), \
        [test['output'] for test in tests]


@pytest.mark.parametrize('function, edit, cause', [
    ('conv_forward', ('cnn.py', 'return out.reshape(N, out_h, out_w, F).transpose(0, 3, 1, 2)',
                      'return out.reshape(N, F, out_h, out_w)'), 'reshaped straight to (N, F, H\', W\')'),
    ('conv_backward', ('cnn.py', "dx_pad[:, :, rows, columns] += cols[:, :, :, :, p, q]",
                       "dx_pad[:, :, rows, columns] = cols[:, :, :, :, p, q]"), 'col2im assigns (=)'),
    ('conv_backward', ('cnn.py', 'dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, F)',
                       'dout_rows = dout.reshape(-1, F)'), 'dout is reshaped straight'),
], ids=['(N*H\'*W\', F) reshaped straight', 'col2im assigns', 'dout reshaped straight'])
def test_the_layout_pitfalls_the_handout_names_are_recognised(tmp_path, function, edit, cause):
    results = grade(build(tmp_path / 'sub', replace=[edit]), 'all', SPEC.offering([6]))
    tests = [test for test in failed(results) if test['tags'] == [function]]
    assert tests and any(cause.lower() in test['output'].lower() for test in tests), [test['output'] for test in tests]


def test_a_softmax_normalised_over_the_columns_carries_its_diagnosis_as_data():
    """The class report counts it: the failure carries a stable key, not only a sentence."""
    import numpy as np

    from grader.engine.checks import Mismatch, expect_probabilities
    logits = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]])
    by_columns = np.exp(logits) / np.exp(logits).sum(axis=0)
    with pytest.raises(Mismatch) as failure:
        expect_probabilities(by_columns, 'softmax(x)')
    assert [cause.key for cause in failure.value.causes] == ['normalised over the wrong axis']
