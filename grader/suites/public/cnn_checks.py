"""Checks of Part 6's results that compute no answer: their form, known mistakes of any shape,
init_cnn's shapes and biases, and what differs between its weights and the recipe's.

Both suites use them: the public one with the answers and wrong answers of expected_cnn.json,
the hidden one with those of the reference and of grader/suites/hidden/cnn_mistakes.py.
"""

import numpy as np

from grader.engine.checks import Mismatch, as_array, as_cause, expect_array, expect_every, expect_keys

from .dense_checks import weight_diagnosis

# Results equal to a wrong answer to this tolerance are taken to be that mistake.
SAME_RTOL, SAME_ATOL = 1e-6, 1e-9
# x / sqrt(n) and x * sqrt(1 / n) differ in the last bits only.
RECIPE_RTOL, RECIPE_ATOL = 1e-10, 1e-14


def same(a, b):
    """Whether a result is a known (wrong) answer. Two empty arrays are the same whatever
    their shapes: JSON keeps no shape of an empty array, and an empty result is one mistake."""
    if np.size(a) == 0 and np.size(b) == 0:
        return True
    return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=SAME_RTOL, atol=SAME_ATOL))


def unambiguous(mistakes, expected):
    """The known mistakes a result can be recognised by: those whose value differs from the
    right one and from every other mistake's with another cause."""
    kept = []
    for index, (wrong, why) in enumerate(mistakes):
        clash = any(same(wrong, other) and as_cause(other_why).key != as_cause(why).key
                    for other_index, (other, other_why) in enumerate(mistakes) if other_index != index)
        if not clash and not same(wrong, expected):
            kept.append((wrong, why))
    return kept


def expect_known(check, got, expected, what, mistakes=(), **options):
    """A check of grader.checks (expect_array, expect_gradient) whose known mistakes may
    have another shape than the right answer.

    Inputs:
    - check: function (got, expected, what, known_mistakes=..., **options) raising Mismatch
    - got: the submission's result
    - expected: the right answer, float array
    - what: how to name the call
    - mistakes: pairs (wrong answer of any shape, explanation)
    - options: passed on to check
    """
    expected = np.asarray(expected, dtype=np.float64)
    mistakes = unambiguous(mistakes, expected)
    array = as_array(got, what)
    if array.shape != expected.shape:
        for wrong, why in mistakes:
            if same(array.astype(np.float64), wrong):
                cause = as_cause(why)
                raise Mismatch(f'{what} returned shape {array.shape}; expected {expected.shape}. {cause.text}',
                               [cause])
    check(array, expected, what, known_mistakes=[m for m in mistakes if np.shape(m[0]) == expected.shape],
          **options)


def result_tuple(got, names, what):
    """The items of a tuple result, e.g. conv_backward's (dx, dW, db); Mismatch unless it
    is a tuple (or list) of that many items."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        kind = f'{len(got)} items' if isinstance(got, (tuple, list)) else f'a {type(got).__name__}'
        raise Mismatch(f'{what} returned {kind}; expected a tuple ({", ".join(names)})')
    return tuple(got)


# ------------------------------------------------------------------ init_cnn

WEIGHTS = ('W1', 'W2', 'W3')
BIAS_SHAPE = ('b1 has shape {shape}; it has shape (F,) = ({filters},): one number per filter, the only bias of '
              'the contract that is not a row vector')
CNN_RECIPE = ('the recipe: one generator np.random.default_rng(seed), then W1, W2, W3 in this order, each one '
              'standard_normal call of exactly its shape, divided by np.sqrt(fan_in) (C * k * k for W1, the '
              'number of rows for W2 and W3)')


def fan_in(name, shape):
    """The fan-in the recipe divides a weight by: C * k * k for W1, the number of rows for W2 and W3."""
    return int(np.prod(shape[1:])) if name == 'W1' else int(shape[0])


def expect_cnn_shapes(got, shapes, what):
    """Check init_cnn's result has the contract's keys and shapes, and zero biases; returns it.

    Inputs:
    - got: what the submission returned
    - shapes: {name: shape} of the contract (fits.cnn_shapes)
    - what: how to name the call
    """
    got = expect_keys(got, shapes, what)
    filters = shapes['b1'][0]

    def check(name):
        array = as_array(got[name], f'{what}[{name!r}]')
        if name.startswith('b'):
            mistakes = [(np.zeros(shape), BIAS_SHAPE.format(shape=shape, filters=filters))
                        for shape in ((1, filters), (filters, 1)) if name == 'b1']
            expect_known(expect_array, array, np.zeros(shapes[name]), f'{what}[{name!r}]',
                         mistakes + [(array, 'biases start at zero')] * (array.shape == tuple(shapes[name])))
        elif array.shape != tuple(shapes[name]):
            raise Mismatch(f'{what}[{name!r}] returned shape {array.shape}; expected {tuple(shapes[name])}')

    expect_every([lambda name=name: check(name) for name in shapes])
    return got


def expect_cnn_weights(got, want, generators, scales, what):
    """Check init_cnn's result against the recipe: keys, shapes, zero biases, and every weight to
    RECIPE_RTOL, with what differs for every weight that misses it.

    Inputs:
    - got: what the submission returned
    - want: the reference's params for the same call
    - generators: {name: [(draws, what is wrong with them)]} for W1, W2 and W3, as
      dense_checks.weight_diagnosis takes them
    - scales: {name: [(scale, what it means)]} for W1, W2 and W3
    - what: how to name the call, e.g. 'init_cnn((2, 6, 4), 3, 5, 7, 4, seed=5)'
    """
    got = expect_cnn_shapes(got, {name: np.shape(value) for name, value in want.items()}, what)

    def check(name):
        array = np.asarray(got[name], dtype=np.float64)
        why = (weight_diagnosis(array, name, fan_in(name, array.shape), generators[name], scales[name])
               or f'The numbers are not those of {CNN_RECIPE}.')
        expect_array(array, want[name], f'{what}[{name!r}]', rtol=RECIPE_RTOL, atol=RECIPE_ATOL,
                     known_mistakes=[(array, why)])

    expect_every([lambda name=name: check(name) for name in WEIGHTS])
