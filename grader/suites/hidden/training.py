"""Helpers the suites share to check training: the update rule, replayed by the grader."""

import math

import numpy as np

from grader import tasks
from grader.engine.checks import (Mismatch, as_array, expect_array, expect_every, expect_keys, expect_params,
                                  sentence)
from grader.engine.seam import StudentFailure
from grader.spec import TASKS, THRESHOLDS

from .mistakes import momentum_diagnosis
from .mlp_network import mlp_shapes


def momentum_replay(params, loss_and_grads, epsilon, momentum, passes):
    """Gradient descent with momentum as the contract defines it, run by the grader.

    Inputs:
    - params: {name: array}, the starting point
    - loss_and_grads: function params -> (loss, grads)
    - epsilon, momentum: learning rate and momentum coefficient
    - passes: number of steps

    Returns:
    - params after the last step, and the loss at the start of each pass, (passes,)
    """
    velocity = {name: np.zeros_like(value) for name, value in params.items()}
    losses = []
    for _ in range(passes):
        loss, grads = loss_and_grads(params)
        losses.append(float(loss))
        velocity = {k: momentum * velocity[k] - epsilon * np.asarray(grads[k]) for k in params}
        params = {k: params[k] + velocity[k] for k in params}
    return params, np.array(losses, dtype=np.float64)


def network_shapes(layers):
    """{'W1': (D, H1), 'b1': (1, H1), ...} of a network [D, H1, ..., C]."""
    return {f'{kind}{l}': (1 if kind == 'b' else fan_in, fan_out)
            for l, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:]), start=1) for kind in 'Wb'}


def cnn_shapes(input_shape, num_filters, filter_size, hidden_dim, num_classes):
    """{'W1': (F, C, k, k), 'b1': (F,), 'W2': (F*H/2*W/2, hidden), ...}: the params of init_cnn."""
    channels, height, width = input_shape
    flat = num_filters * (height // 2) * (width // 2)
    return {'W1': (num_filters, channels, filter_size, filter_size), 'b1': (num_filters,),
            'W2': (flat, hidden_dim), 'b2': (1, hidden_dim), 'W3': (hidden_dim, num_classes), 'b3': (1, num_classes)}


def fit_result(got, what):
    """(params, losses) of what fit_model or deep_fit returned; Mismatch unless it is a pair."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f'{what} must return a tuple (params, losses)')
    return got[0], got[1]


def expect_losses(got, count, what, per='pass', name='losses'):
    """`got` must hold one finite float per pass (per='pass') or per minibatch step
    (per='step'); returns it as an array. `name`: how the losses are named, e.g.
    "history['loss']"."""
    array = as_array(got, f'the {name} of {what}')
    if array.shape != (count,):
        steps = ', num_epochs * ceil(N / batch_size) steps' if per == 'step' else ''
        raise Mismatch(f'{what} returned {name} of shape {array.shape}; expected ({count},), '
                       f'one loss per {per}{steps}')
    bad = ~np.isfinite(array)
    if bad.any():
        first = int(np.argmax(bad))
        raise Mismatch(f'{what} returned {int(bad.sum())} losses that are NaN or inf, the first at {per} '
                       f'{first} (losses before it: {array[max(0, first - 3):first].tolist()}): '
                       'the training diverged')
    return array.astype(np.float64)


RULE = ('from your own init with the same seed and zero velocity, each pass records the loss of the '
        'current parameters, then updates v = momentum * v - epsilon * grad and p = p + v')


def expect_training(got, params0, loss_and_grads, fit_kwargs, what, own_gradients=None):
    """Check a fit's (params, losses) against the update rule, replayed by the grader.

    The fit is right when it follows the rule with the exact gradients, or with those
    of the student's own backprop (`own_gradients`): a wrong backprop loses points in its
    own tests, not again in the fit's. Known wrong rules (momentum ignored, a step up the
    gradient) are replayed too, so that the feedback can name them whether the losses or
    the parameters show it first.

    Inputs:
    - got: what the fit returned
    - params0: the student's own initial params, in the contract's shapes
    - loss_and_grads: trusted function params -> (loss, exact gradients)
    - fit_kwargs: the fit's epsilon, momentum, num_passes
    - what: how to name the call
    - own_gradients: function params -> the student's backprop, or None
    """
    passes, epsilon, momentum = fit_kwargs['num_passes'], fit_kwargs['epsilon'], fit_kwargs['momentum']
    params, losses = fit_result(got, what)
    losses = expect_losses(losses, passes, what)
    expected, expected_losses = momentum_replay(params0, loss_and_grads, epsilon, momentum, passes)
    if follows_replay(params, losses, expected, expected_losses):
        return
    own = _own_replay(params0, loss_and_grads, own_gradients, epsilon, momentum, passes)
    if own is not None and follows_replay(params, losses, *own):
        return
    mistakes = _wrong_rules(params0, loss_and_grads, epsilon, momentum, passes)
    expect_array(losses, expected_losses, f'the losses of {what} ({RULE})', rtol=1e-6,
                 known_mistakes=[(wrong_losses, why) for (_, wrong_losses), why in mistakes])
    params = contract_params(params, {k: v.shape for k, v in expected.items()}, f'the params {what} returned')
    for name in expected:
        expect_array(params[name], expected[name], f"{what}['{name}'] after {passes} passes ({RULE})",
                     rtol=1e-6, atol=1e-9, known_mistakes=[(wrong[name], why) for (wrong, _), why in mistakes])


def _wrong_rules(params0, loss_and_grads, epsilon, momentum, passes):
    """[((params, losses), explanation)] of the known wrong update rules, replayed."""
    rules = [((-epsilon, momentum), 'the step goes up the gradient: subtract epsilon * grad')]
    if momentum:
        rules.append(((epsilon, 0.0), 'the momentum is ignored'))
    return [(momentum_replay(params0, loss_and_grads, e, m, passes), why) for (e, m), why in rules]


def expect_first_losses(losses, params0, loss_and_grads, epsilon, momentum, what, own_gradients=None):
    """Check the first losses of a fit (an array) against the update rule from params0, as
    expect_training does (the student's own backprop's gradients are accepted too)."""
    count = min(3, len(losses))
    _, expected = momentum_replay(params0, loss_and_grads, epsilon, momentum, count)
    if np.allclose(losses[:count], expected, rtol=1e-6, atol=1e-10):
        return
    own = _own_replay(params0, loss_and_grads, own_gradients, epsilon, momentum, count)
    if own is not None and np.allclose(losses[:count], own[1], rtol=1e-6, atol=1e-10):
        return
    mistakes = _wrong_rules(params0, loss_and_grads, epsilon, momentum, count)
    expect_array(losses[:count], expected, what, rtol=1e-6,
                 known_mistakes=[(wrong_losses, why) for (_, wrong_losses), why in mistakes])


def _own_replay(params0, loss_and_grads, own_gradients, epsilon, momentum, passes):
    """The replay with the exact losses and the student's own backprop's gradients, or None
    when there is no such backprop or it cannot be replayed."""
    def step(params):
        grads = own_gradients(params)
        if not isinstance(grads, dict) or set(grads) != set(params):
            raise Mismatch('backprop returned other keys')
        return loss_and_grads(params)[0], {k: np.asarray(v, dtype=np.float64) for k, v in grads.items()}

    if own_gradients is None:
        return None
    try:
        return momentum_replay(params0, step, epsilon, momentum, passes)
    except (StudentFailure, Mismatch, TypeError, ValueError, KeyError):
        return None   # judge by the exact gradients alone


def follows_replay(params, losses, expected, expected_losses):
    """Whether a fit's params and losses are those of a replay, to the tolerance of the checks."""
    try:
        params = contract_params(params, {k: v.shape for k, v in expected.items()}, 'params')
    except Mismatch:
        return False
    return (np.allclose(losses, expected_losses, rtol=1e-6, atol=1e-10)
            and all(np.allclose(params[k], expected[k], rtol=1e-6, atol=1e-9) for k in expected))


def contract_params(got, shapes, what):
    """A params dict of float64 arrays in the contract's shapes, for a test of a fit.

    A bias of shape (H,) is taken as (1, H), and any vector of the right length as a vector
    of the contract's shape ((1, F) or (F, 1) as cnn's (F,)): its shape is graded in the tests
    of the function that made it (init_params, backprop, init_cnn), not in those of the fit
    that carries it.

    Inputs:
    - got: what the submission returned
    - shapes: {name: shape} the contract gives
    - what: how to name it
    """
    expect_keys(got, shapes, what)
    params = {}
    for name, shape in shapes.items():
        array = as_array(got[name], f'{what}[{name!r}]').astype(np.float64)
        if array.shape != tuple(shape) and array.size == int(np.prod(shape)) and (
                array.ndim == 1 or _vector(array.shape) and _vector(shape)):
            array = array.reshape(shape)
        params[name] = array
    return expect_params(params, shapes, what)


def _vector(shape):
    """Whether an array of this shape is a vector: all its axes but one have length 1."""
    return sum(length != 1 for length in shape) <= 1


def momentum_step_result(got, params, grads, velocity, epsilon, momentum, what):
    """Check what momentum_step returned against the contract's step, every key of both
    dicts at once, with the diagnosis of a known wrong step when both results show it.

    Inputs:
    - got: what the submission returned
    - params, grads, velocity: the arguments, {key: array}
    - epsilon, momentum: the hyper-parameters
    - what: how to name the call
    """
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f'{what} must return a tuple (new_params, new_velocity)')
    new_params = expect_keys(got[0], params, f'{what}: new_params')
    new_velocity = expect_keys(got[1], params, f'{what}: new_velocity')
    want_velocity = {k: momentum * velocity[k] - epsilon * grads[k] for k in params}
    checks = [lambda k=k: expect_array(new_velocity[k], want_velocity[k], f"{what}: new_velocity['{k}'] "
                                       '(momentum * v - epsilon * g)') for k in params]
    checks += [lambda k=k: expect_array(new_params[k], params[k] + want_velocity[k], f"{what}: new_params['{k}'] "
                                        '(params + the new velocity)') for k in params]
    try:
        expect_every(checks)
    except Mismatch as mismatch:
        why = momentum_diagnosis(params, grads, velocity, epsilon, momentum, new_params, new_velocity)
        raise Mismatch(f'{mismatch}\n{sentence(why)}' if why else str(mismatch)) from None


def expect_accuracy(name, student, seed, predict):
    """Train the student's fit function on one task of the spec and check the held-out
    accuracy of the parameters it returns, labelled by the grader's own `predict` (so that
    this test grades the fit alone) against the task's calibrated threshold.

    Inputs:
    - name: the task's name in grader.spec.TASKS
    - student: the seam
    - seed: data and init seed
    - predict: trusted function of the task's model: (X, params) -> labels for a 'cnn',
      (X, params, actFun_type) -> labels for the others
    """
    task, calibration = TASKS[name], THRESHOLDS[name]
    X_train, X_test, y_train, y_test = tasks.dataset(task, seed)
    trained = tasks.train(task, student, X_train, y_train, seed)
    fit, params = {'mlp': _mlp_fit_params}.get(task.model, _fit_params)(task, trained, X_train, y_train)
    labels = predict(X_test, params) if task.model == 'cnn' else predict(X_test, params, task.fit['actFun_type'])
    accuracy = float(np.mean(np.asarray(labels) == y_test))
    if accuracy < calibration['threshold']:
        raise Mismatch(f'{name} (data seed {seed}): held-out accuracy {accuracy:.3f} of the parameters {fit} '
                       f'returned after training with {task.fit}; at least {calibration["threshold"]} is expected '
                       f'(the reference reaches at least {calibration["min"]} on each of the '
                       f'{calibration["seeds"]} seeds it was calibrated on)')


def _fit_params(task, trained, X_train, y_train):
    """(the fit's name, its params in the contract's shapes) of what fit_model, deep_fit or
    cnn_fit returned, after checking its losses: one per pass, or per step of a minibatch fit."""
    classes = int(y_train.max()) + 1
    if task.model == 'cnn':
        fit, count = 'cnn_fit', task.fit['num_epochs'] * math.ceil(len(X_train) / task.fit['batch_size'])
        shapes = cnn_shapes(X_train.shape[1:], task.fit['num_filters'], task.fit['filter_size'],
                            task.fit['hidden_dim'], classes)
    elif task.model == 'deep':
        fit, count, shapes = 'deep_fit', task.fit['num_passes'], network_shapes(list(task.shape))
    else:
        fit, count = 'fit_model', task.fit['num_passes']
        shapes = network_shapes([X_train.shape[1], task.shape, classes])
    trained, losses = fit_result(trained, fit)
    expect_losses(losses, count, fit, per='step' if task.model == 'cnn' else 'pass')
    return fit, contract_params(trained, shapes, f'the params {fit} returned')


def _mlp_fit_params(task, trained, X_train, y_train):
    """('mlp_fit', its params' contract keys) of what mlp_fit returned, (params, history), after
    checking history['loss']: one loss per step. Other keys of params are init_mlp's to answer for."""
    params, history = fit_result(trained, 'mlp_fit')
    if not isinstance(history, dict) or 'loss' not in history:
        raise Mismatch("mlp_fit must return a tuple (params, history), history a dict with the key 'loss'")
    expect_losses(history['loss'], task.fit['num_epochs'] * math.ceil(len(X_train) / task.fit['batch_size']),
                  'mlp_fit', per='step', name="history['loss']")
    shapes = mlp_shapes(task.shape, task.fit['batchnorm'])
    params = {key: params[key] for key in shapes if key in params} if isinstance(params, dict) else params
    return 'mlp_fit', contract_params(params, shapes, 'the params mlp_fit returned')
