"""The initialisation recipe of init_params and init_deep, and the ways students miss it.

The contract's recipe: one generator np.random.default_rng(seed); for l = 1..L in order,
Wl is one call of its standard_normal((fan_in, fan_out)), divided by np.sqrt(fan_in);
biases are zeros of shape (1, fan_out). A result that misses it is compared with the
numbers other generators and scales give, so that the feedback names what differs.
"""

import numpy as np

from grader.engine.checks import expect_array, expect_every, expect_params, sentence

# x / sqrt(n) and x * sqrt(1 / n) differ in the last bits only.
RTOL, ATOL = 1e-10, 1e-14
RECIPE = ('the recipe: one generator np.random.default_rng(seed), then for W1, W2, ... in order '
          'standard_normal((fan_in, fan_out)) divided by np.sqrt(fan_in)')


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


GENERATORS = {
    'recipe': '',
    'legacy': 'legacy np.random.seed/randn draws other numbers: use np.random.default_rng(seed)',
    'per layer': ('every layer drew the same numbers: a new np.random.default_rng(seed) for each layer '
                  'starts the same stream again; make one generator and draw every layer from it, in order'),
    'transposed': ('the weights were drawn with shape (fan_out, fan_in) and transposed, which puts other '
                   'numbers in each place: draw standard_normal((fan_in, fan_out))'),
    'seed 0': 'the seed is ignored: these are the numbers of seed 0; draw from np.random.default_rng(seed)',
}


def _scales(fan_in, fan_out):
    """[(scale, what it means)] for the scales students use; '' for the recipe's."""
    return [(1 / np.sqrt(fan_in), ''),
            (1 / fan_in, f'each weight is divided by fan_in = {fan_in}, not by np.sqrt(fan_in) '
                         '(a scale of 1/sqrt(fan_in))'),
            (1 / np.sqrt(fan_out), f'each weight is divided by sqrt(fan_out) = sqrt({fan_out}); the recipe '
                                   'divides by np.sqrt(fan_in), fan_in being the number of rows of W'),
            (1.0, 'the weights are not scaled: divide each by np.sqrt(fan_in)'),
            (np.sqrt(2 / fan_in), 'the weights are scaled by sqrt(2/fan_in) (He); the recipe divides by '
                                  'np.sqrt(fan_in)'),
            (np.sqrt(2 / (fan_in + fan_out)), 'the weights are scaled by sqrt(2/(fan_in + fan_out)) (Glorot); '
                                              'the recipe divides by np.sqrt(fan_in)')]


def fitted_scale(got, raw):
    """The factor s with got == s * raw (to rounding), or None when got is no multiple of raw."""
    scale = float(np.sum(got * raw) / np.sum(raw * raw))
    return scale if np.allclose(got, scale * raw, rtol=1e-9, atol=1e-12) else None


def known_scale(scale, scales):
    """The explanation of the one known (value, why) in `scales` equal to `scale`; None when no
    known scale or several have that value."""
    known = [why for value, why in scales if abs(scale - value) <= 1e-9 * value]
    return known[0] if len(known) == 1 else None


def _scale_explanation(scale, fan_in, fan_out):
    """What a scale means, named only when exactly one known scale has that value."""
    known = known_scale(scale, _scales(fan_in, fan_out))
    if known:
        return known
    return (f'the weights are scaled by {scale:.6g}; the recipe divides by np.sqrt(fan_in), '
            f'a scale of {1 / np.sqrt(fan_in):.6g}')


def diagnosis(got, layers, seed, l):
    """What differs between a layer's weights and the recipe's, '' when nothing is recognised.

    Inputs:
    - got: the submission's Wl, float array of shape (fan_in, fan_out)
    - layers: [D, H1, ..., C]
    - seed: the seed asked for
    - l: the layer, 1..L
    """
    fan_in, fan_out = layer_pairs(layers)[l - 1]
    for kind, generator_why in GENERATORS.items():
        if kind == 'seed 0' and seed == 0:
            continue
        scale = fitted_scale(got, _draws(layers, seed, kind)[l - 1])
        if scale is None:
            continue
        scale_why = '' if abs(scale * np.sqrt(fan_in) - 1) <= 1e-9 else _scale_explanation(scale, fan_in, fan_out)
        return ' '.join(sentence(why) for why in (generator_why, scale_why) if why)
    return ''


def expect_recipe(got, want, layers, seed, what):
    """Check init_params / init_deep's result against the recipe: keys, shapes, zero biases,
    and every weight to RTOL, with what differs for every layer that misses it.

    Inputs:
    - got: what the submission returned
    - want: the reference's params for the same call (from expected.json in the public suite)
    - layers: [D, H1, ..., C] ([D, H, C] for init_params)
    - seed: the seed it was called with
    - what: how to name the call, e.g. 'init_params(2, 4, 3, seed=5)'
    """
    got = expect_params(got, {k: v.shape for k, v in want.items()}, what)

    def check(name):
        array = np.asarray(got[name], dtype=np.float64)
        if name.startswith('b'):
            why = 'Biases start at zero, np.zeros((1, fan_out)).'
        else:
            why = diagnosis(array, layers, seed, int(name[1:])) or f'The numbers are not those of {RECIPE}.'
        expect_array(array, want[name], f'{what}[{name!r}]', rtol=RTOL, atol=ATOL, known_mistakes=[(array, why)])

    expect_every([lambda name=name: check(name) for name in want])
