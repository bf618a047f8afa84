"""Checks of Part 7's public tests whose expectations are data (expected_mlp.json) or the
student's own results: the form of a result, init_mlp's recipe named from stored draws, and
mlp_fit held to the update rule with the student's own mlp_loss_and_grads (a relative
expectation) or to the reference's stored trajectory. Nothing here computes an answer.
"""

import numpy as np

from grader.engine.checks import (Mismatch, as_array, as_cause, expect_array, expect_every, expect_given, expect_keys,
                                  expect_params, sentence)
from grader.engine.seam import StudentFailure
from grader.spec import RUNNING_MOMENTUM as DECAY

from .dense_checks import ATOL as INIT_ATOL
from .dense_checks import RTOL as INIT_RTOL
from .dense_checks import expect_recipe
from .fits import contract_params, expect_losses, mlp_shapes, momentum_replay
from .schedules import MOMENTUM_IGNORED, SCHEDULE, SCHEDULES, batches, epoch_orders, step_count

RUNNING = 'running_'
RTOL, ATOL = 1e-6, 1e-9
RULE = (f'from your own init_mlp with the same seed and zero velocities; {SCHEDULE}, records its batch\'s loss, '
        'then v = momentum * v - epsilon * grad and p = p + v for every learned parameter')
RUNNING_RULE = (f'after every step, running_mean = {DECAY:g} * running_mean + {1 - DECAY:g} * mean and running_var = '
                f'{DECAY:g} * running_var + {1 - DECAY:g} * var, with the batch statistics of that step\'s forward pass')
BIAS_KEPT = ('with batchnorm=True a hidden layer has no bias bl: beta takes its place (a bias before batch norm is '
             'cancelled by the mean it subtracts); only the output layer keeps bL')
RUNNING_IN_GRADS = ('the running statistics are not learned: grads holds the gradients of the learned parameters '
                    'only, every key of params except running_meanl and running_varl')


def expect_tuple(got, names, what):
    """The parts of a tuple result, named as the contract names them; Mismatch unless there are as many."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        raise Mismatch(f'{what} must return a tuple ({", ".join(names)})')
    return got


def learned(params):
    """The learned parameters of params: every one but the running statistics."""
    return {name: value for name, value in params.items() if not name.startswith(RUNNING)}


def expect_gradient_keys(grads, params, what):
    """mlp_loss_and_grads's grads must have every key of params but the running statistics; returns it."""
    if isinstance(grads, dict) and any(name.startswith(RUNNING) for name in grads):
        raise Mismatch(f'{what} returned grads with keys {sorted(grads)}. {sentence(RUNNING_IN_GRADS)}',
                       [as_cause(RUNNING_IN_GRADS)])
    return expect_keys(grads, learned(params), what)


def fit_parts(got, what):
    """(params, history) of what mlp_fit returned; Mismatch unless it is a pair whose history
    is a dict of the contract's keys."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f'{what} must return a tuple (params, history)')
    trained, history = got
    keys = {'loss', 'train_accuracy', 'val_accuracy'}
    if not isinstance(history, dict) or set(history) != keys:
        found = sorted(history) if isinstance(history, dict) else f'a {type(history).__name__}'
        raise Mismatch(f'{what} returned a history of {found}; expected a dict with the keys {sorted(keys)}')
    if not isinstance(trained, dict):
        raise Mismatch(f'{what} returned params of type {type(trained).__name__}; expected a dict')
    return trained, history


# ------------------------------------------------------------------- init_mlp

def init_keys_mistake(got_keys, layers, batchnorm):
    """The explanation of a wrong key set of init_mlp's result, '' if none is recognised."""
    L = len(layers) - 1
    if batchnorm and set(got_keys) == set(mlp_shapes(layers, True)) | {f'b{l}' for l in range(1, L)}:
        return BIAS_KEPT
    return ''


def expect_init_mlp(got, want, layers, batchnorm, draws, what):
    """Check init_mlp's result: its keys (naming a bias kept under batch norm), its shapes,
    the weights of init_deep's recipe and the starting values of batch norm's arrays.

    Inputs:
    - got: what the submission returned
    - want: the reference's params for the same call (expected_mlp.json)
    - layers, batchnorm: the call's arguments
    - draws: {kind of generator: {Wl: its standard normal draws}} for the call (expected_mlp.json)
    - what: how to name the call
    """
    shapes = mlp_shapes(layers, batchnorm)
    if isinstance(got, dict) and set(got) != set(shapes):
        explanation = init_keys_mistake(got, layers, batchnorm)
        raise Mismatch(f'{what} returned keys {sorted(got)}; expected {sorted(shapes)}.'
                       + (f' {sentence(explanation)}' if explanation else ''),
                       [as_cause(explanation)] if explanation else [])
    got = expect_params(got, shapes, what)
    recipe = {name: value for name, value in want.items() if name[0] in 'Wb' and name[1:].isdigit()}
    checks = [lambda: expect_recipe({name: got[name] for name in recipe}, recipe, draws, what)]
    for name in shapes:
        kind = name.rstrip('0123456789')
        if name not in recipe:
            checks.append(lambda name=name, kind=kind: expect_array(
                got[name], want[name], f'{what}[{name!r}]', rtol=0, atol=0,
                known_mistakes=[(got[name], f'every entry of {kind}l starts at {want[name].flat[0]:g}')]))
    expect_every(checks)


# --------------------------------------------------------------------- mlp_fit

def own_replay(start, own_step, X, y, fit, orders, momentum=None, update=None):
    """mlp_fit's learned parameters replayed with the update rule and a step function the
    caller gives: (learned params after the last step, the loss of every step), or None when
    the step fails.

    Inputs:
    - start: the params the fit starts from; the running statistics stay as they are (they
      do not change a loss in training mode)
    - own_step: function (X_batch, y_batch, params) -> (loss, grads), the student's own
      mlp_loss_and_grads in the public suite
    - X, y: the training data
    - fit: mlp_fit's keyword arguments (epsilon, momentum, batch_size)
    - orders: every epoch's order of the samples, [(N,) index array] (schedules.epoch_orders)
    - momentum: to replay with another momentum than fit's (0 for 'momentum ignored')
    - update: the student's own momentum_step (fits.own_update) in place of the contract's step
    """
    schedule = batches(orders, fit['batch_size'])
    upcoming = iter(schedule)

    def step(params):
        batch = next(upcoming)
        loss, grads = own_step(X[batch], y[batch], {name: params.get(name, value) for name, value in start.items()})
        return float(loss), {name: np.asarray(grads[name], dtype=np.float64) for name in params}

    try:
        return momentum_replay(learned(start), step, fit['epsilon'], fit['momentum'] if momentum is None else momentum,
                               len(schedule), update)
    except (StudentFailure, Mismatch, TypeError, ValueError, KeyError, IndexError):
        return None


def _returned(got, shapes, samples, fit, what):
    """(params in the contract's keys, history, losses) of what mlp_fit returned; Mismatch unless
    it holds the contract's keys and shapes and one finite loss per step."""
    params, history = fit_parts(got, what)
    losses = expect_losses(history['loss'], step_count(samples, fit), what, per='step', name="history['loss']")
    params = contract_params({name: params[name] for name in shapes if name in params}, shapes,
                             f'the params {what} returned')
    return params, history, losses


def _same(params, other, names):
    """Whether params and other agree on every one of names, to the replay's tolerance."""
    return all(np.allclose(params[name], other[name], rtol=RTOL, atol=ATOL) for name in names)


def _follows(params, losses, replayed_params, replayed_losses):
    """Whether a fit's losses and learned params are a replay's."""
    return (np.allclose(losses, replayed_losses, rtol=RTOL, atol=1e-10)
            and _same(params, replayed_params, learned(replayed_params)))


def same_start(start, reference):
    """Whether two starts have the same learned parameters (those of init_deep's recipe)."""
    return all(np.allclose(start[name], reference[name], rtol=INIT_RTOL, atol=INIT_ATOL) for name in learned(reference))


def shifted(params, start, reference_start, steps_taken):
    """The params of the reference's trajectory, their running statistics as they are from
    another running start: the rule keeps DECAY**steps of the start's difference."""
    return {name: value + DECAY ** steps_taken * (start[name] - reference_start[name]) if name.startswith(RUNNING)
            else value for name, value in params.items()}


class FitCheck:
    """mlp_fit on the public fit data, checked against the reference's stored trajectory or
    a replay with the student's own mlp_loss_and_grads.

    - shapes: {name: shape} of the fit's params, in the contract's order
    - reference: expected('mlp_fit'): start, losses, params, after_epoch_e, train_accuracy, val_accuracy
    - running_mistakes: {running name: [(value, explanation)]} of the reference's trajectory
    - own_step: function (X_batch, y_batch, params) -> the student's mlp_loss_and_grads
    - own_predict: function (X, params) -> the student's mlp_predict's labels
    - update: the student's own momentum_step (fits.own_update), or None: a fit that follows
      it when it is wrong is a consequence of it (checks.expect_given)
    """

    def __init__(self, shapes, reference, running_mistakes, own_step, own_predict, update=None):
        self.shapes, self.reference = shapes, reference
        self.running_mistakes, self.own_step, self.own_predict = running_mistakes, own_step, own_predict
        self.update = update

    def expect(self, got, start, X, y, fit, data, what, predict_note=lambda: ''):
        """Check what mlp_fit returned: its losses and learned params, then (on the reference's
        trajectory) its running statistics and accuracies.

        Inputs:
        - got: what mlp_fit returned
        - start: the student's own init_mlp's params, or None when it gave none
        - X, y, fit: the training data and mlp_fit's keyword arguments
        - data: {'train_accuracy': (X, y), 'val_accuracy': (X_val, y_val)}
        - what: how to name the call
        - predict_note: function () -> what to say of accuracies measured with the student's own
          mlp_predict ('' for nothing), called only when they are the expectation
        """
        ref = self.reference
        params, history, losses = _returned(got, self.shapes, len(X), fit, what)
        if _follows(params, losses, ref['params'], ref['losses']):
            starts = [start] if start is not None and same_start(start, ref['start']) else []
            running_start = self._expect_running(params, starts + [ref['start']], len(losses), what)
            return self._expect_history(history, data, running_start, fit, len(X), what, predict_note)
        starts = [start] if start is not None else []
        starts += [] if starts and same_start(start, ref['start']) else [ref['start']]
        if any(self._follows_own(params, losses, first, X, y, fit) for first in starts):
            return _expect_accuracy_form(history, data, fit['num_epochs'], what)
        self._diagnose(params, losses, starts[0], X, y, fit, what)

    def _orders(self, X, fit, schedule='contract'):
        """Every epoch's order of the samples under a schedule of schedules.py, (epochs, N)."""
        weights = [shape for name, shape in self.shapes.items() if name.startswith('W')]
        return epoch_orders(len(X), fit['num_epochs'], fit['seed'], schedule, weights)

    def _follows_own(self, params, losses, start, X, y, fit):
        replayed = own_replay(start, self.own_step, X, y, fit, self._orders(X, fit))
        return replayed is not None and _follows(params, losses, *replayed)

    def _expect_running(self, params, starts, count, what):
        """Check the running statistics against the reference's from each start in turn; returns the start
        they follow."""
        ref = self.reference
        names = [name for name in self.shapes if name.startswith(RUNNING)]
        for start in starts:
            want = shifted(ref['params'], start, ref['start'], count)
            if _same(params, want, names):
                return start
        want = shifted(ref['params'], starts[0], ref['start'], count)
        expect_every([lambda name=name: expect_array(
            params[name], want[name], f'{what}: params[{name!r}] ({RUNNING_RULE})', rtol=RTOL, atol=ATOL,
            known_mistakes=self.running_mistakes[name]) for name in names])
        raise Mismatch(f'{what}: the running statistics do not follow the rule ({RUNNING_RULE})')

    def _expect_history(self, history, data, start, fit, samples, what, predict_note):
        """Check a fit on the reference's trajectory: one accuracy per epoch, each that of the
        parameters after that epoch, labelled by the reference (stored) or by the student's own mlp_predict."""
        per_epoch = step_count(samples, fit) // fit['num_epochs']
        epochs = [shifted(self.reference[f'after_epoch_{e}'], start, self.reference['start'], e * per_epoch)
                  for e in range(1, fit['num_epochs'] + 1)]
        stored = all(np.array_equal(start[name], self.reference['start'][name]) for name in start
                     if name.startswith(RUNNING))
        for key, (X, y) in data.items():
            got = _accuracies(history, key, len(epochs), what)
            want = self.reference[key] if stored else None
            if want is not None and np.allclose(got, want, rtol=0, atol=1e-12):
                continue
            own = self._own_accuracies(X, y, epochs)
            if own is not None and np.allclose(got, own, rtol=0, atol=1e-12):
                continue
            if want is None and own is None:
                continue            # neither the reference's labels nor the student's own are at hand
            note = f' ({predict_note()})' if want is None and predict_note() else ''
            expect_array(got, want if want is not None else own,
                         f'{what}: history[{key!r}], the fraction of samples that mlp_predict labels correctly after '
                         f'each epoch{note}', rtol=0, atol=1e-12)

    def _own_accuracies(self, X, y, epochs):
        """The accuracy of the student's own mlp_predict with the params after each epoch, or None when it fails."""
        try:
            return np.array([np.mean(np.asarray(self.own_predict(X, params)) == y) for params in epochs])
        except (StudentFailure, Mismatch, TypeError, ValueError):
            return None

    def _diagnose(self, params, losses, start, X, y, fit, what):
        """Mismatch with the losses and learned params expected, naming a known wrong rule the fit follows."""
        ref = self.reference
        if same_start(start, ref['start']):
            want_params, want_losses = ref['params'], ref['losses']
        else:
            own = own_replay(start, self.own_step, X, y, fit, self._orders(X, fit))
            if own is None:
                raise Mismatch(f'{what} is checked against the update rule replayed with your own mlp_loss_and_grads '
                               'from your own init_mlp; your init_mlp is not the reference\'s (see its tests), and '
                               'your mlp_loss_and_grads fails on the batches of the replay')
            want_params, want_losses = own
        wrong = [(own_replay(start, self.own_step, X, y, fit, self._orders(X, fit, schedule)), why)
                 for schedule, why in SCHEDULES.items()]
        if fit['momentum']:
            wrong.append((own_replay(start, self.own_step, X, y, fit, self._orders(X, fit), momentum=0.0),
                          MOMENTUM_IGNORED))
        wrong = [(replayed, why) for replayed, why in wrong if replayed is not None]

        def check():
            expect_array(losses, want_losses, f"{what}: history['loss'] ({RULE})", rtol=RTOL,
                         known_mistakes=[(replayed[1], why) for replayed, why in wrong])
            expect_every([lambda name=name: expect_array(
                params[name], want_params[name], f"{what}: params[{name!r}] after {len(losses)} steps ({RULE})",
                rtol=RTOL, atol=ATOL, known_mistakes=[(replayed[0][name], why) for replayed, why in wrong])
                for name in learned(self.shapes)])
            raise Mismatch(f'{what} does not follow the update rule ({RULE})')

        def faults():     # the run of the student's own momentum_step, when it is wrong
            replayed = own_replay(start, self.own_step, X, y, fit, self._orders(X, fit), update=self.update)
            return ('momentum_step',) if replayed is not None and _follows(params, losses, *replayed) else ()

        expect_given(check, faults if self.update else tuple, what)


def _accuracies(history, key, epochs, what):
    """history[key] as an array of one fraction per epoch; Mismatch otherwise."""
    got = as_array(history[key], f'{what}: history[{key!r}]') if len(history[key]) else np.zeros(0)
    if got.shape != (epochs,):
        raise Mismatch(f'{what} returned history[{key!r}] of shape {got.shape}; expected ({epochs},), one '
                       'accuracy per epoch')
    if np.any(got > 1):
        raise Mismatch(f'{what} returned history[{key!r}] = {got.tolist()}: an accuracy is the fraction of '
                       'samples labelled correctly, in [0, 1], not a percentage')
    return got


def _expect_accuracy_form(history, data, epochs, what):
    """The accuracies of a fit off the reference's trajectory: their form only, as their values
    need the batch statistics of every step."""
    for key in data:
        _accuracies(history, key, epochs, what)
