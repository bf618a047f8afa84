"""Helpers the suites share to check training: the update rule, replayed by the grader."""

import numpy as np

from grader.checks import Mismatch, as_array, expect_array, expect_labels


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
        losses.append(loss)
        velocity = {k: momentum * velocity[k] - epsilon * np.asarray(grads[k]) for k in params}
        params = {k: params[k] + velocity[k] for k in params}
    return params, np.array(losses)


def expect_losses(got, passes, what):
    """`losses` must hold one finite float per pass; returns it as an array."""
    array = as_array(got, f'the losses of {what}')
    if array.shape != (passes,):
        raise Mismatch(f'{what} returned losses of shape {array.shape}; expected ({passes},), '
                       'one loss per pass')
    bad = ~np.isfinite(array)
    if bad.any():
        first = int(np.argmax(bad))
        raise Mismatch(f'{what} returned {int(bad.sum())} losses that are NaN or inf, the first at pass '
                       f'{first} (losses before it: {array[max(0, first - 3):first].tolist()}): '
                       'the training diverged')
    return array.astype(np.float64)


RULE = ('from your own init with the same seed and zero velocity, each pass records the loss of the '
        'current parameters, then updates v = momentum * v - epsilon * grad and p = p + v')


def expect_training(got, params0, loss_and_grads, fit_kwargs, what):
    """Check a fit's (params, losses) against the update rule, replayed by the grader.

    Known wrong rules (momentum ignored, a step up the gradient) are replayed too, so
    that the feedback can name them whether the losses or the parameters show it first.
    """
    passes, epsilon, momentum = fit_kwargs['num_passes'], fit_kwargs['epsilon'], fit_kwargs['momentum']
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f'{what} must return a tuple (params, losses)')
    params, losses = got
    losses = expect_losses(losses, passes, what)
    expected, expected_losses = momentum_replay(params0, loss_and_grads, epsilon, momentum, passes)
    wrong_rules = [((-epsilon, momentum), 'the step goes up the gradient: subtract epsilon * grad')]
    if momentum:
        wrong_rules.append(((epsilon, 0.0), 'the momentum is ignored'))
    mistakes = [(momentum_replay(params0, loss_and_grads, e, m, passes), why) for (e, m), why in wrong_rules]
    expect_array(losses, expected_losses, f'the losses of {what} ({RULE})', rtol=1e-6,
                 known_mistakes=[(wrong_losses, why) for (_, wrong_losses), why in mistakes])
    if not isinstance(params, dict) or set(params) != set(expected):
        raise Mismatch(f'{what} must return params with keys {sorted(expected)}')
    for name in expected:
        expect_array(params[name], expected[name], f"{what}['{name}'] after {passes} passes ({RULE})",
                     rtol=1e-6, atol=1e-9, known_mistakes=[(wrong[name], why) for (wrong, _), why in mistakes])


def expect_accuracy(task, student, seed, threshold, reference_note):
    """Train the student's code on one task and check its held-out accuracy.

    Inputs:
    - task: a grader.tasks.Task
    - student: the seam
    - seed: data and init seed
    - threshold: the least accuracy accepted
    - reference_note: what the reference reaches, for the feedback
    """
    name = 'deep_fit' if task.deep else 'fit_model'
    losses, labels, y_test = task.run(student.two_layer, student.deep, seed)
    expect_losses(losses, task.fit_kwargs['num_passes'], name)
    labels = expect_labels(labels, len(y_test), int(y_test.max()) + 1,
                           'deep_predict' if task.deep else 'predict')
    accuracy = float(np.mean(labels == y_test))
    if accuracy < threshold:
        raise Mismatch(f'{task.name} (data seed {seed}): held-out accuracy {accuracy:.3f} after {name} with '
                       f'{task.fit_kwargs}; at least {threshold} is expected ({reference_note})')
