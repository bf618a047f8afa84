"""Checks of Part 7's recipes in the hidden suite: init_mlp, and mlp_fit replayed step for
step by the grader (its batches, its momentum steps, its running statistics, its history).
tools/expected_mlp.py stores the replay's results on the public inputs, which the public
suite compares with (grader/suites/public/mlp_checks.py).

A fit is replayed without dropout (keep_prob = 1): the contract lets dropout masks be drawn in
any way that leaves the batch generator alone, so only a fit without them has one right answer.
A fit with dropout is checked for what the contract does fix: it repeats, it drops units, and
its batches are the contract's (expect_dropout_fit).
"""

from dataclasses import dataclass

import numpy as np

from grader.engine.checks import (Mismatch, as_array, as_cause, expect_array, expect_every, expect_given,
                                  expect_params, sentence)
from grader.engine.seam import StudentFailure
from grader.spec import RUNNING_MOMENTUM as MOMENTUM
from grader.suites.public.fits import mlp_shapes
from grader.suites.public.mlp_checks import RULE, RUNNING_RULE, fit_parts, init_keys_mistake
from grader.suites.public.schedules import MOMENTUM_IGNORED, SCHEDULES, epoch_batches, epoch_orders, step_count

from . import mlp_mistakes as mistakes
from . import mlp_network as net
from .initialisation import expect_recipe, layer_pairs
from .training import contract_params, expect_losses

RTOL, ATOL = 1e-6, 1e-9
STARTS = {'gamma': 1.0, 'beta': 0.0, 'running_mean': 0.0, 'running_var': 1.0}


# ------------------------------------------------------------------- init_mlp

def recipe_keys(layers, batchnorm):
    """The names init_mlp draws or zeroes as init_deep does: every Wl and bl it has."""
    return [name for name in mlp_shapes(layers, batchnorm) if name[0] in 'Wb' and name[1:].isdigit()]


def contract_init(layers, batchnorm, seed):
    """init_mlp(layers, batchnorm, seed) as the contract defines it, computed by the grader."""
    rng, drawn = np.random.default_rng(seed), {}
    for name, shape in mlp_shapes(layers, batchnorm).items():
        kind = name.rstrip('0123456789')
        drawn[name] = (rng.standard_normal(shape) / np.sqrt(shape[0]) if kind == 'W'
                       else np.full(shape, STARTS.get(kind, 0.0)))
    return drawn


def expect_init_mlp(got, layers, batchnorm, seed, what, recipe=None):
    """Check init_mlp's result: its keys (naming a bias kept under batch norm), its shapes,
    the weights of init_deep's recipe and the starting values of batch norm's arrays.

    Inputs:
    - got: what the submission returned
    - layers, batchnorm, seed: the call's arguments
    - what: how to name the call
    - recipe: the reference's {Wl, bl} for the call, or None to compute them here
    """
    shapes = mlp_shapes(layers, batchnorm)
    if isinstance(got, dict) and set(got) != set(shapes):
        explanation = init_keys_mistake(got, layers, batchnorm)
        raise Mismatch(f'{what} returned keys {sorted(got)}; expected {sorted(shapes)}.'
                       + (f' {sentence(explanation)}' if explanation else ''),
                       [as_cause(explanation)] if explanation else [])
    got = expect_params(got, shapes, what)
    recipe = recipe or {name: value for name, value in contract_init(layers, batchnorm, seed).items()
                        if name in recipe_keys(layers, batchnorm)}
    checks = [lambda: expect_recipe({name: got[name] for name in recipe}, recipe, layers, seed, what)]
    for name, shape in shapes.items():
        kind = name.rstrip('0123456789')
        if kind in STARTS:
            checks.append(lambda name=name, shape=shape, kind=kind: expect_array(
                got[name], np.full(shape, STARTS[kind]), f'{what}[{name!r}]', rtol=0, atol=0,
                known_mistakes=[(got[name], f'every entry of {kind}l starts at {STARTS[kind]:g}')]))
    expect_every(checks)


def start_params(own_init, layers, batchnorm, seed, what):
    """The params a fit starts from: the student's own init_mlp (its contract keys), or the
    contract's when it cannot give them, so that a broken init_mlp costs its own tests only.

    Inputs:
    - own_init: function of no arguments calling the student's init_mlp
    """
    shapes = mlp_shapes(layers, batchnorm)
    try:
        got = own_init()
        return contract_params({name: got[name] for name in shapes}, shapes, what)
    except (StudentFailure, Mismatch, KeyError, TypeError):
        return contract_init(layers, batchnorm, seed)


# --------------------------------------------------------------------- mlp_fit

def batch_orders(samples, fit, layers, kind='contract'):
    """The batches of a fit, [[index array of every step] of every epoch].

    - kind: 'contract', a key of schedules.SCHEDULES, or 'masks': the contract's permutations,
      but every step also draws its dropout masks from the same generator, as
      mlp_loss_and_grads would
    """
    if kind != 'masks':
        orders = epoch_orders(samples, fit['num_epochs'], fit['seed'], kind, layer_pairs(layers))
        return [epoch_batches(order, fit['batch_size']) for order in orders]
    rng, epochs = np.random.default_rng(fit['seed']), []
    for _ in range(fit['num_epochs']):
        epochs.append(epoch_batches(rng.permutation(samples), fit['batch_size']))
        for batch in epochs[-1]:
            for units in layers[1:-1]:
                rng.random((len(batch), units))
    return epochs


# The running statistics under the contract's rule (explanation '') and known wrong ones:
# functions (running, batch statistic, statistic after the step, batch size, 'mean' or 'var').
RUNNING_RULES = {
    '': lambda r, s, after, n, kind: MOMENTUM * r + (1 - MOMENTUM) * s,
    mistakes.RUNNING_NOT_UPDATED: lambda r, s, after, n, kind: r,
    mistakes.RUNNING_SWAPPED: lambda r, s, after, n, kind: (1 - MOMENTUM) * r + MOMENTUM * s,
    mistakes.RUNNING_AFTER_STEP: lambda r, s, after, n, kind: MOMENTUM * r + (1 - MOMENTUM) * after,
    mistakes.RUNNING_UNBIASED: lambda r, s, after, n, kind: MOMENTUM * r + (1 - MOMENTUM) * (
        s * n / (n - 1) if kind == 'var' and n > 1 else s),
}


@dataclass
class Replay:
    """A fit replayed by the grader.

    - params: after the last step, running statistics by the contract's rule
    - losses: the loss of every step, (steps,)
    - epochs: the params after every epoch
    - running: {explanation: {running name: value}} under each rule of RUNNING_RULES
    """
    params: dict
    losses: np.ndarray
    epochs: list
    running: dict


def replay(params0, X, y, step, fit, layers, order='contract', momentum=None, update=None):
    """mlp_fit without dropout, as the contract defines it, run by the grader.

    Inputs:
    - params0: the starting params, running statistics included
    - X, y: the training data
    - step: trusted function (X_batch, y_batch, params) -> (loss, gradients of the learned params)
    - fit: mlp_fit's keyword arguments (epsilon, momentum, num_epochs, batch_size, seed, actFun_type)
    - layers: layer_sizes
    - order: the kind of batch_orders
    - momentum: to replay with another momentum than fit's (0 for 'momentum ignored')
    - update: the student's own momentum_step (fits.own_update) in place of the contract's step
    """
    momentum = fit['momentum'] if momentum is None else momentum
    params = {name: np.array(value, dtype=np.float64) for name, value in params0.items()}
    names = list(net.learned(params))
    velocity = {name: np.zeros_like(params[name]) for name in names}
    running = {rule: {name: value for name, value in params.items() if name not in names} for rule in RUNNING_RULES}
    losses, epochs = [], []
    for epoch in batch_orders(len(X), fit, layers, order):
        for batch in epoch:
            X_batch, y_batch = X[batch], y[batch]
            loss, grads = step(X_batch, y_batch, params)
            before = net.forward(X_batch, params, fit['actFun_type'])[1]
            losses.append(float(loss))
            if update is not None:
                moved, velocity = update({name: params[name] for name in names}, grads, velocity)
                params.update(moved)
            else:
                for name in names:
                    velocity[name] = (momentum * velocity[name]
                                      - fit['epsilon'] * np.asarray(grads[name], dtype=np.float64))
                    params[name] = params[name] + velocity[name]
            after = net.forward(X_batch, params, fit['actFun_type'])[1] if before else {}
            for rule, move in RUNNING_RULES.items():
                for l, statistics in before.items():
                    for kind, value, later in zip(('mean', 'var'), statistics, after[l]):
                        key = f'running_{kind}{l}'
                        running[rule][key] = move(running[rule][key], value, later, len(batch), kind)
            params.update(running[''])
        epochs.append(dict(params))
    return Replay(params, np.array(losses), epochs, {rule: values for rule, values in running.items() if rule})


def _returned(got, params0, X, fit, what):
    """(params in the contract's keys, history, losses) of what mlp_fit returned; Mismatch unless
    it holds params0's keys and shapes and one finite loss per step."""
    params, history = fit_parts(got, what)
    losses = expect_losses(history['loss'], step_count(len(X), fit), what, per='step', name="history['loss']")
    params = contract_params({name: params[name] for name in params0 if name in params},
                             {name: np.shape(value) for name, value in params0.items()}, f'the params {what} returned')
    return params, history, losses


def _same(params, other, names):
    """Whether params and other agree on every one of names, to the replay's tolerance."""
    return all(np.allclose(params[name], other[name], rtol=RTOL, atol=ATOL) for name in names)


def _follows(params, losses, replayed, running=False):
    """Whether a fit's losses and learned params (and its running statistics when `running`) are a replay's."""
    return (np.allclose(losses, replayed.losses, rtol=RTOL, atol=1e-10)
            and _same(params, replayed.params, replayed.params if running else net.learned(replayed.params)))


def _starts(params0, fit, layers):
    """The params a right fit may start from: the student's own init_mlp's, and the contract's when they differ."""
    contract = contract_init(layers, fit['batchnorm'], fit['seed'])
    return [params0] + [contract] * any(not np.allclose(params0[name], contract[name], rtol=1e-10, atol=1e-14)
                                        for name in params0)


def _replays(exact, params0, X, y, step, fit, layers, own_step):
    """The replays a right fit may follow: from the student's own init_mlp or the contract's, with
    the exact gradients or the student's own mlp_loss_and_grads; lazily, the exact one first."""
    for start in _starts(params0, fit, layers):
        yield exact if start is params0 else replay(start, X, y, step, fit, layers)
        own = _own_replay(start, X, y, own_step, fit, layers) if own_step else None
        if own is not None:
            yield own


def _own_replay(params0, X, y, own_step, fit, layers, update=None):
    """The replay with the student's own mlp_loss_and_grads (and own momentum_step, when
    `update`), or None when it cannot run."""
    def step(X_batch, y_batch, params):
        loss, grads = own_step(X_batch, y_batch, params)
        return float(loss), {name: np.asarray(grads[name], dtype=np.float64) for name in net.learned(params)}
    try:
        return replay(params0, X, y, step, fit, layers, update=update)
    except (StudentFailure, Mismatch, TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


WRONG_FITS = [({'momentum': 0.0}, MOMENTUM_IGNORED)] + [({'order': kind}, why) for kind, why in SCHEDULES.items()]


def expect_fit_follows(got, params0, X, y, step, fit, layers, what, own_step=None, update=None):
    """Check mlp_fit's batch losses and learned parameters against the grader's replay.

    The fit is right when it follows the contract with the exact gradients, or with those of
    the student's own mlp_loss_and_grads (whose mistakes cost its own tests), from the student's
    own init_mlp or from the contract's (whose mistakes cost init_mlp's tests). Known wrong fits
    (momentum ignored, batches drawn another way) are replayed to name them.

    Inputs:
    - got: what mlp_fit returned (keep_prob 1)
    - params0: the params it starts from (start_params)
    - X, y, step, fit, layers: as replay
    - what: how to name the call
    - own_step: function (X_batch, y_batch, params) -> the student's mlp_loss_and_grads, or None
    - update: the student's own momentum_step (fits.own_update), or None: a fit that follows
      it when it is wrong is a consequence of it (checks.expect_given)

    Returns:
    - (the returned params in the contract's keys, history, the Replay they follow)
    """
    params, history, losses = _returned(got, params0, X, fit, what)
    exact = replay(params0, X, y, step, fit, layers)
    if _follows(params, losses, exact, running=True):
        return params, history, exact
    followed = [replayed for replayed in _replays(exact, params0, X, y, step, fit, layers, own_step)
                if _follows(params, losses, replayed)]
    if followed:
        return params, history, next((replayed for replayed in followed if _follows(params, losses, replayed, True)),
                                     followed[0])
    wrong = [(replay(params0, X, y, step, fit, layers, **change), why) for change, why in WRONG_FITS
             if change.get('momentum', 1.0) != fit['momentum']]

    def check():
        expect_array(losses, exact.losses, f"{what}: history['loss'] ({RULE})", rtol=RTOL,
                     known_mistakes=[(replayed.losses, why) for replayed, why in wrong])
        expect_every([lambda name=name: expect_array(
            params[name], exact.params[name], f"{what}: params[{name!r}] after {len(losses)} steps ({RULE})",
            rtol=RTOL, atol=ATOL, known_mistakes=[(replayed.params[name], why) for replayed, why in wrong])
            for name in net.learned(exact.params)])
        raise Mismatch(f'{what} does not follow the update rule ({RULE})')

    def faults():     # the runs of the student's own momentum_step, when it is wrong
        for start in _starts(params0, fit, layers):
            runs = [_own_replay(start, X, y, trusted_or_own, fit, layers, update)
                    for trusted_or_own in (step, own_step) if trusted_or_own is not None]
            if any(run is not None and _follows(params, losses, run) for run in runs):
                return ('momentum_step',)
        return ()

    expect_given(check, faults if update else tuple, what)


def expect_dropout_fit(fit_call, params0, X, y, step, fit, layers, what):
    """Check what the contract fixes of mlp_fit with dropout, whose masks it leaves free: the
    same arguments give the same result, dropout changes the losses, and the batches are the
    contract's. With epsilon 0 the params never move, so the first layer's running statistics,
    computed before any dropout, depend on the batches alone.

    Inputs:
    - fit_call: function of no arguments calling the student's mlp_fit with `fit`
    - params0: the params it starts from (start_params)
    - X, y, step, layers: as replay
    - fit: mlp_fit's keyword arguments, with epsilon 0, keep_prob < 1 and batchnorm True
    - what: how to name the call
    """
    params, _, losses = _returned(fit_call(), params0, X, fit, what)
    again = fit_parts(fit_call(), what)[1]['loss']
    if not np.array_equal(as_array(again, f"the history['loss'] of {what}"), losses):
        raise Mismatch(f"{what} called twice returned two different history['loss']. "
                       f'{sentence(mistakes.NOT_REPEATABLE)}', [as_cause(mistakes.NOT_REPEATABLE)])
    starts = _starts(params0, fit, layers)
    if not any(_same(params, start, net.learned(start)) for start in starts):
        raise Mismatch(f'{what} returned learned parameters that are neither those of init_mlp nor those of the '
                       'contract\'s init, though with epsilon 0 every step is v = momentum * v - 0 * grad = 0')
    undropped = [replay(start, X, y, step, fit, layers) for start in starts]
    if any(np.allclose(losses, replayed.losses, rtol=RTOL, atol=1e-10) for replayed in undropped):
        raise Mismatch(f'{what}: {mistakes.DROPOUT_NOT_APPLIED}')
    first = ['running_mean1', 'running_var1']
    if any(_same(params, replayed.params, first) for replayed in undropped):
        return
    wrong = [(replay(params0, X, y, step, fit, layers, order=order), why) for order, why in
             [('masks', mistakes.MASKS_FROM_BATCH_GENERATOR)] + [(change['order'], why) for change, why in WRONG_FITS
                                                                 if 'order' in change]]
    expect_every([lambda name=name: expect_array(
        params[name], undropped[0].params[name],
        f'{what}: params[{name!r}], which with epsilon 0 depends on the batches alone, as drawn without dropout '
        f'({RULE}; {RUNNING_RULE})', rtol=RTOL, atol=ATOL,
        known_mistakes=[(replayed.params[name], why) for replayed, why in wrong]) for name in first])
    raise Mismatch(f'{what}: the first layer\'s running statistics are not those of the contract\'s batches')


def expect_running(params, replayed, what):
    """Check the running statistics a fit returned against those of its replay."""
    names = [name for name in replayed.params if name.startswith(net.RUNNING)]
    expect_every([lambda name=name: expect_array(
        params[name], replayed.params[name], f'{what}: params[{name!r}] ({RUNNING_RULE})', rtol=RTOL, atol=ATOL,
        known_mistakes=[(values[name], why) for why, values in replayed.running.items()]) for name in names])


def expect_history(history, replayed, data, predict, own_predict, what):
    """Check a fit's accuracies: one per epoch, each that of the parameters after that epoch.

    Inputs:
    - history: the fit's history dict
    - replayed: the Replay the fit follows
    - data: {'train_accuracy': (X, y), 'val_accuracy': (X_val, y_val) or None}
    - predict: trusted function (X, params) -> labels
    - own_predict: function (X, params) -> the student's mlp_predict's labels
    """
    epochs = len(replayed.epochs)
    for key, pair in data.items():
        got = as_array(history[key], f'{what}: history[{key!r}]') if len(history[key]) else np.zeros(0)
        if pair is None:
            if got.size:
                raise Mismatch(f'{what} was given no validation data but returned history[{key!r}] of '
                               f'{got.size} entries; expected an empty list')
            continue
        if got.shape != (epochs,):
            raise Mismatch(f'{what} returned history[{key!r}] of shape {got.shape}; expected ({epochs},), one '
                           'accuracy per epoch')
        if np.any(got > 1):
            raise Mismatch(f'{what} returned history[{key!r}] = {got.tolist()}: an accuracy is the fraction of '
                           'samples labelled correctly, in [0, 1], not a percentage')
        X, y = pair
        want = np.array([np.mean(np.asarray(predict(X, params)) == y) for params in replayed.epochs])
        if np.allclose(got, want, rtol=0, atol=1e-12):
            continue
        own = np.array([np.mean(np.asarray(own_predict(X, params)) == y) for params in replayed.epochs])
        if not np.allclose(got, own, rtol=0, atol=1e-12):
            expect_array(got, want, f'{what}: history[{key!r}], the fraction of samples that mlp_predict labels '
                                    'correctly after each epoch', rtol=0, atol=1e-12)
