"""The initialisation recipe of init_params and init_deep: the draws of the generators
students use, for the hidden suite and for the public suite's data (tools/expected.py).

The contract's recipe: one generator np.random.default_rng(seed); for l = 1..L in order,
Wl is one call of its standard_normal((fan_in, fan_out)), divided by np.sqrt(fan_in);
biases are zeros of shape (1, fan_out). A result that misses it is compared with the
numbers other generators and scales give, so that the feedback names what differs
(grader/suites/public/dense_checks.py).
"""

import numpy as np

from grader.suites.public import dense_checks
from grader.suites.public.dense_checks import GENERATORS  # noqa: F401  (cnn_mistakes imports it from here)


def layer_pairs(layers):
    """[(fan_in, fan_out)] of each weight layer of a network [D, H1, ..., C]."""
    return list(zip(layers[:-1], layers[1:]))


def _draws(layers, seed, kind):
    """The standard normal numbers a generator of this kind gives each layer, (fan_in, fan_out) each."""
    pairs = layer_pairs(layers)
    if kind == 'legacy':
        legacy = np.random.RandomState(seed)     # the stream of np.random.seed(seed); np.random.randn
        return [legacy.randn(fan_in, fan_out) for fan_in, fan_out in pairs]
    if kind == 'per layer':
        return [np.random.default_rng(seed).standard_normal(pair) for pair in pairs]
    rng = np.random.default_rng(0 if kind == 'seed 0' else seed)
    if kind == 'transposed':
        return [rng.standard_normal((fan_out, fan_in)).T for fan_in, fan_out in pairs]
    return [rng.standard_normal(pair) for pair in pairs]


def recipe_draws(layers, seed):
    """{kind of GENERATORS: {'W1': draws, ...}} of init_params / init_deep(layers, seed); without
    'seed 0' when the seed is 0, where it would be the recipe's."""
    return {kind: {f'W{l}': raw for l, raw in enumerate(_draws(layers, seed, kind), start=1)}
            for kind in GENERATORS if not (kind == 'seed 0' and seed == 0)}


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
