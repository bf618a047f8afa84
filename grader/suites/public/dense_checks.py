"""Checks of Parts 4 and 5 that compare with data, or with the student's own results.

- init_params / init_deep against the recipe, the standard normal draws of each kind of
  generator students use given as data, so that the feedback names what differs;
- momentum_step against its right and known wrong results, given as data;
- a fit against the contract's update, replayed with the student's own loss and gradients
  from the student's own init (a relative expectation), or compared with the reference's
  run, given as data, when the student's init is the reference's.

Nothing here computes an answer: the public suite reads its data from expected.json, the
hidden suite computes the same data from the reference.
"""

import numpy as np

from grader.engine.checks import (Mismatch, as_cause, expect_array, expect_every, expect_given, expect_keys,
                                  expect_params, sentence)
from grader.engine.seam import StudentFailure

from .fits import by_own_update, contract_params, expect_losses, fit_result, follows_replay, momentum_replay

# ------------------------------------------------------------------ the init recipe

# x / sqrt(n) and x * sqrt(1 / n) differ in the last bits only.
RTOL, ATOL = 1e-10, 1e-14
RECIPE = ('the recipe: one generator np.random.default_rng(seed), then for W1, W2, ... in order '
          'standard_normal((fan_in, fan_out)) divided by np.sqrt(fan_in)')

# The kinds of generator whose draws a submission's weights are compared with, in the order
# they are tried, and what is wrong with each ('' for the recipe's).
GENERATORS = {
    'recipe': '',
    'legacy': 'legacy np.random.seed/randn draws other numbers: use np.random.default_rng(seed)',
    'per layer': ('every layer drew the same numbers: a new np.random.default_rng(seed) for each layer '
                  'starts the same stream again; make one generator and draw every layer from it, in order'),
    'transposed': ('the weights were drawn with shape (fan_out, fan_in) and transposed, which puts other '
                   'numbers in each place: draw standard_normal((fan_in, fan_out))'),
    'seed 0': 'the seed is ignored: these are the numbers of seed 0; draw from np.random.default_rng(seed)',
}


def known_scales(name, fan_in, fan_out=None):
    """[(scale, what it means)] for the scales students use; '' for the recipe's.

    Inputs:
    - name: the weight's key, e.g. 'W2'
    - fan_in: what the recipe divides its draws by the square root of
    - fan_out: its number of columns, or None for a filter bank, which has no such count
    """
    known = [(1 / np.sqrt(fan_in), ''),
             (1 / fan_in, f'each weight of {name} is divided by fan_in = {fan_in}, not by np.sqrt(fan_in) (a scale '
                          'of 1/sqrt(fan_in))'),
             (1.0, f'the weights of {name} are not scaled: divide each by np.sqrt(fan_in) = np.sqrt({fan_in})'),
             (np.sqrt(2 / fan_in), f'{name} is scaled by sqrt(2/fan_in) (He); the recipe divides by np.sqrt(fan_in)')]
    if fan_out is not None:
        known += [(1 / np.sqrt(fan_out), f'{name} is divided by sqrt(fan_out) = sqrt({fan_out}); the recipe divides '
                                         'by np.sqrt(fan_in), fan_in being the number of rows'),
                  (np.sqrt(2 / (fan_in + fan_out)), f'{name} is scaled by sqrt(2/(fan_in + fan_out)) (Glorot); the '
                                                    'recipe divides by np.sqrt(fan_in)')]
    return known


def fitted_scale(got, raw):
    """The factor s with got == s * raw (to rounding), or None when got is no multiple of raw."""
    if np.shape(got) != np.shape(raw):
        return None
    scale = float(np.sum(got * raw) / np.sum(raw * raw))
    return scale if np.allclose(got, scale * raw, rtol=1e-9, atol=1e-12) else None


def scale_explanation(scale, name, fan_in, scales):
    """What a weight's scale means: '' for the recipe's, the one known scale of that value, or
    what the recipe's is when no known scale or several have that value.

    Inputs:
    - scale: the factor the weight's draws were multiplied by
    - name, fan_in: the weight's key and fan-in
    - scales: [(scale, what it means)] of the scales students use (known_scales)
    """
    if abs(scale * np.sqrt(fan_in) - 1) <= 1e-9:
        return ''
    known = [why for value, why in scales if abs(scale - value) <= 1e-9 * value]
    if len(known) == 1:
        return known[0]
    return (f'{name} is scaled by {scale:.6g}; the recipe divides by np.sqrt(fan_in) = np.sqrt({fan_in}), a scale '
            f'of {1 / np.sqrt(fan_in):.6g}')


def weight_diagnosis(got, name, fan_in, generators, scales):
    """What differs between a weight and the recipe's, '' when nothing is recognised: the
    generator whose draws it is a multiple of, and what that multiple means.

    Inputs:
    - got: the submission's weight, float array of the contract's shape
    - name, fan_in: the weight's key and fan-in
    - generators: [(draws, what is wrong with that generator)] of each kind of generator, the
      recipe's with '': draws, the standard normal numbers it gives this weight
    - scales: [(scale, what it means)] of the scales students use for this weight
    """
    for draws, generator_why in generators:
        scale = fitted_scale(got, draws)
        if scale is not None:
            scale_why = scale_explanation(scale, name, fan_in, scales)
            return ' '.join(sentence(why) for why in (generator_why, scale_why) if why)
    return ''


def expect_recipe(got, want, draws, what):
    """Check init_params / init_deep's result against the recipe: keys, shapes, zero biases,
    and every weight to RTOL, with what differs for every layer that misses it.

    Inputs:
    - got: what the submission returned
    - want: the reference's params for the same call
    - draws: {kind of GENERATORS: {Wl: its standard normal draws}} for the same call
    - what: how to name the call, e.g. 'init_params(2, 4, 3, seed=5)'
    """
    got = expect_params(got, {k: v.shape for k, v in want.items()}, what)

    def check(name):
        array = np.asarray(got[name], dtype=np.float64)
        if name.startswith('b'):
            why = 'Biases start at zero, np.zeros((1, fan_out)).'
        else:
            fan_in, fan_out = array.shape
            generators = [(draws[kind][name], why) for kind, why in GENERATORS.items() if kind in draws]
            why = (weight_diagnosis(array, name, fan_in, generators, known_scales(name, fan_in, fan_out))
                   or f'The numbers are not those of {RECIPE}.')
        expect_array(array, want[name], f'{what}[{name!r}]', rtol=RTOL, atol=ATOL, known_mistakes=[(array, why)])

    expect_every([lambda name=name: check(name) for name in want])


def same_start(params, want):
    """Whether params (in the contract's shapes) are the reference's init `want`, to RTOL."""
    return params.keys() == want.keys() and all(
        np.shape(params[k]) == np.shape(want[k]) and np.allclose(params[k], want[k], rtol=RTOL, atol=ATOL)
        for k in want)


# ------------------------------------------------------------------ momentum_step

def _same_step(got, want):
    """Whether a step's results {key: array} are `want`'s, to the checks' tolerance."""
    try:
        return got.keys() == want.keys() and all(
            np.shape(got[k]) == np.shape(want[k]) and np.allclose(got[k], want[k], rtol=1e-6, atol=1e-9)
            for k in want)
    except (AttributeError, TypeError, ValueError):   # results too malformed to compare
        return False


def expect_momentum_step(got, want, mistakes, what):
    """Check what momentum_step returned against the contract's step, every key of both dicts
    at once, with the explanation of a known wrong step when both of its results show it.

    Inputs:
    - got: what the submission returned
    - want: {'params': {key: array}, 'velocity': {key: array}}, the contract's new params and velocity
    - mistakes: [(the same of a known wrong step, explanation)]
    - what: how to name the call
    """
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f'{what} must return a tuple (new_params, new_velocity)')
    keys = want['params']
    new_params = expect_keys(got[0], keys, f'{what}: new_params')
    new_velocity = expect_keys(got[1], keys, f'{what}: new_velocity')
    checks = [lambda k=k: expect_array(new_velocity[k], want['velocity'][k], f"{what}: new_velocity['{k}'] "
                                       '(momentum * v - epsilon * g)') for k in keys]
    checks += [lambda k=k: expect_array(new_params[k], want['params'][k], f"{what}: new_params['{k}'] "
                                        '(params + the new velocity)') for k in keys]
    try:
        expect_every(checks)
    except Mismatch as mismatch:
        why = next((why for wrong, why in mistakes
                    if _same_step(new_velocity, wrong['velocity']) and _same_step(new_params, wrong['params'])), '')
        if not why:
            raise
        raise Mismatch(f'{mismatch}\n{sentence(why)}', [as_cause(why)]) from None


# ------------------------------------------------------------------ fits

RULE = ('from your own init with the same seed and zero velocity, each pass records the loss of the '
        'current parameters, then updates v = momentum * v - epsilon * grad and p = p + v')
# (factor of epsilon, factor of momentum) of the known wrong update rules, and what is wrong.
WRONG_RULES = [((-1.0, 1.0), 'the step goes up the gradient: subtract epsilon * grad'),
               ((1.0, 0.0), 'the momentum is ignored')]
# What a replay with the student's own loss and gradients may raise.
REPLAY_FAILURES = (StudentFailure, Mismatch, TypeError, ValueError, KeyError)


def wrong_runs(params0, step, epsilon, momentum, passes):
    """[((params, losses), explanation)] of the known wrong update rules, replayed with `step`
    (function params -> (loss, grads)); the momentum ignored only when there is one."""
    return [(momentum_replay(params0, step, e * epsilon, m * momentum, passes), why)
            for (e, m), why in WRONG_RULES if m == 1.0 or momentum]


def _own_wrong_runs(params0, step, epsilon, momentum, passes):
    """wrong_runs with the student's own step; [] when that step fails on one of them."""
    try:
        return wrong_runs(params0, step, epsilon, momentum, passes)
    except REPLAY_FAILURES:
        return []


def own_step(loss, gradients, names):
    """The student's own loss and gradient functions (through the seam) as a step of a replay:
    params -> (loss, grads); Mismatch when the gradients have other keys than params.

    Inputs:
    - loss, gradients: functions params -> the student's loss, the student's gradients
    - names: how to name them, e.g. 'calculate_loss and backprop'
    """
    def step(params):
        grads = gradients(params)
        if not isinstance(grads, dict) or set(grads) != set(params):
            raise Mismatch(f'{names}: the gradients have other keys than params')
        return float(loss(params)), {k: np.asarray(v, dtype=np.float64) for k, v in grads.items()}
    return step


def expect_run(params, losses, expected, mistakes, what):
    """Check a fit's losses, then its params, against a run, naming the known wrong run they equal.

    Inputs:
    - params, losses: what the fit returned, losses already checked for their form
    - expected: the run it should equal, (params, losses)
    - mistakes: [((params, losses), explanation)] of known wrong runs
    - what: how to name the call
    """
    want, want_losses = expected
    expect_array(losses, want_losses, f'the losses of {what} ({RULE})', rtol=1e-6,
                 known_mistakes=[(wrong_losses, why) for (_, wrong_losses), why in mistakes])
    params = contract_params(params, {k: np.shape(v) for k, v in want.items()}, f'the params {what} returned')
    for name in want:
        expect_array(params[name], want[name], f"{what}['{name}'] after {len(want_losses)} passes ({RULE})",
                     rtol=1e-6, atol=1e-9, known_mistakes=[(wrong[name], why) for (wrong, _), why in mistakes])


def _unchecked(what, names, init, failure):
    """The Mismatch of a fit that cannot be replayed: the student's init is not the reference's
    and the student's own loss or gradients fail."""
    return Mismatch(f'{what} is checked against the update rule replayed with your own {names} from your own '
                    f'{init}; your {init} is not the reference\'s (see its test), and the replay failed: {failure}')


def expect_fit(got, params0, reference, wrong, step, fit_kwargs, what, names, init, update=None):
    """Check a fit's (params, losses) against the update rule from the student's own init.

    The fit is right when it is the reference's run (when params0 is the reference's init), or
    the rule replayed with the student's own loss and gradients: a wrong backprop loses points
    in its own tests, not again in the fit's. The feedback names a known wrong rule (momentum
    ignored, a step up the gradient) whether the losses or the parameters show it first.

    Inputs:
    - got: what the fit returned
    - params0: the student's own initial params, in the contract's shapes
    - reference: {'init': params, 'params': params, 'losses': (passes,)}, the reference's init
      and run for the same call (data)
    - wrong: [({'params': params, 'losses': losses}, why)], the reference's runs of the known
      wrong rules (data)
    - step: the student's own step, own_step(...)
    - fit_kwargs: the fit's epsilon, momentum, num_passes
    - what: how to name the call
    - names, init: how to name the student's loss and gradient functions, and init function
    - update: the student's own momentum_step as fits.own_update makes it, or None: a fit
      that follows it when it is wrong is a consequence of it (checks.expect_given)
    """
    passes, epsilon, momentum = fit_kwargs['num_passes'], fit_kwargs['epsilon'], fit_kwargs['momentum']
    params, losses = fit_result(got, what)
    losses = expect_losses(losses, passes, what)
    at_reference = same_start(params0, reference['init'])
    run = reference['params'], reference['losses']
    if at_reference and follows_replay(params, losses, *run):
        return
    try:
        replayed = momentum_replay(params0, step, epsilon, momentum, passes)
    except REPLAY_FAILURES as failure:
        if not at_reference:
            raise _unchecked(what, names, init, failure) from None
        replayed = None
    if replayed is not None and follows_replay(params, losses, *replayed):
        return
    if at_reference:
        check = lambda: expect_run(params, losses, run, [((w['params'], w['losses']), why) for w, why in wrong], what)
    else:
        check = lambda: expect_run(params, losses, replayed, _own_wrong_runs(params0, step, epsilon, momentum, passes),
                                   what)
    own = (lambda: momentum_replay(params0, step, epsilon, momentum, passes, update)) if update else None
    expect_given(check, lambda: by_own_update(params, losses, own) if own else (), what)


def expect_first_losses(losses, params0, reference, wrong, step, epsilon, momentum, what, names, init, update=None):
    """Check the first losses of a fit (an array) against the update rule from params0, as
    expect_fit does.

    Inputs: as expect_fit's, but reference {'init': params, 'losses': the reference's first
    losses} and wrong [(the first losses of a known wrong rule, why)] (data); update as expect_fit's.
    """
    count = min(3, len(losses))
    at_reference = same_start(params0, reference['init'])
    want = reference['losses'][:count]
    if at_reference and np.allclose(losses[:count], want, rtol=1e-6, atol=1e-10):
        return
    try:
        replayed = momentum_replay(params0, step, epsilon, momentum, count)[1]
    except REPLAY_FAILURES as failure:
        if not at_reference:
            raise _unchecked(what, names, init, failure) from None
        replayed = None
    if replayed is not None and np.allclose(losses[:count], replayed, rtol=1e-6, atol=1e-10):
        return
    if at_reference:
        mistakes = [(wrong_losses[:count], why) for wrong_losses, why in wrong]
    else:
        want = replayed
        mistakes = [(wrong_losses, why) for (_, wrong_losses), why in _own_wrong_runs(params0, step, epsilon,
                                                                                     momentum, count)]

    def faults():     # the first losses of the student's own momentum_step, when it is wrong (as expect_fit)
        own = momentum_replay(params0, step, epsilon, momentum, count, update)[1]
        return ('momentum_step',) if np.allclose(losses[:count], own, rtol=1e-6, atol=1e-10) else ()

    expect_given(lambda: expect_array(losses[:count], want, what, rtol=1e-6, known_mistakes=mistakes),
                 faults if update else tuple, what)
