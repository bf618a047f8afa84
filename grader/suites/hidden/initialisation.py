"""The initialisation recipe of init_params, init_deep, init_mlp and init_cnn: the draws of
the generators students use, for the hidden suite and for the public suite's data
(tools/expected.py, expected_cnn.py and expected_mlp.py).

The contract's recipe: one generator np.random.default_rng(seed); for l = 1..L in order,
Wl is one call of its standard_normal((fan_in, fan_out)), divided by np.sqrt(fan_in);
biases are zeros of shape (1, fan_out). A result that misses it is compared with the
numbers other generators and scales give, so that the feedback names what differs
(grader/suites/public/dense_checks.py).
"""

import numpy as np

from grader.suites.public import dense_checks
from grader.suites.public.dense_checks import GENERATORS


def layer_pairs(layers):
    """[(fan_in, fan_out)] of each weight layer of a network [D, H1, ..., C]."""
    return list(zip(layers[:-1], layers[1:]))


def draws(shapes, seed, kind):
    """{name: the standard normal numbers a generator of this kind gives each weight}.

    Inputs:
    - shapes: {name: shape} of the weights, in the order the recipe draws them
    - seed: the seed of the call
    - kind: a key of GENERATORS
    """
    if kind == 'legacy':                     # np.random.seed(seed), then np.random.randn
        legacy = np.random.RandomState(seed)
        return {name: legacy.standard_normal(shape) for name, shape in shapes.items()}
    if kind == 'per layer':
        return {name: np.random.default_rng(seed).standard_normal(shape) for name, shape in shapes.items()}
    rng = np.random.default_rng(0 if kind == 'seed 0' else seed)
    if kind == 'transposed':                 # the matrices drawn (fan_out, fan_in) and transposed
        return {name: rng.standard_normal(shape[::-1]).T if len(shape) == 2 else rng.standard_normal(shape)
                for name, shape in shapes.items()}
    return {name: rng.standard_normal(shape) for name, shape in shapes.items()}


def kinds(seed):
    """The kinds of GENERATORS a call with this seed is compared with: all but 'seed 0' when the
    seed is 0, where it would be the recipe's."""
    return [kind for kind in GENERATORS if not (kind == 'seed 0' and seed == 0)]


def recipe_draws(layers, seed):
    """{kind of GENERATORS: {'W1': draws, ...}} of init_params / init_deep(layers, seed); without
    'seed 0' when the seed is 0, where it would be the recipe's."""
    shapes = {f'W{l}': pair for l, pair in enumerate(layer_pairs(layers), start=1)}
    return {kind: draws(shapes, seed, kind) for kind in kinds(seed)}


def expect_recipe(got, want, layers, seed, what):
    """Check init_params / init_deep's result against the recipe (dense_checks.expect_recipe),
    with the draws of every kind of generator for the call.

    Inputs:
    - got: what the submission returned
    - want: the reference's params for the same call
    - layers: [D, H1, ..., C] ([D, H, C] for init_params)
    - seed: the seed it was called with
    - what: how to name the call, e.g. 'init_params(2, 4, 3, seed=5)'
    """
    dense_checks.expect_recipe(got, want, recipe_draws(layers, seed), what)
