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
    if not np.all(np.isfinite(array)):
        raise Mismatch(f'{what} returned losses with NaN or inf: {array.tolist()}')
    return array.astype(np.float64)


def expect_training(got, params0, loss_and_grads, fit_kwargs, what):
    """Check a fit's (params, losses) against the replayed update rule.

    The first pass tells a wrong loss from a wrong step; the last tells whether the
    step follows v = momentum * v - epsilon * g, p = p + v.
    """
    passes = fit_kwargs['num_passes']
    expected, expected_losses = momentum_replay(params0, loss_and_grads, fit_kwargs['epsilon'],
                                                fit_kwargs['momentum'], passes)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f'{what} must return a tuple (params, losses)')
    params, losses = got
    losses = expect_losses(losses, passes, what)
    expect_array(losses, expected_losses, f'the losses of {what} (losses[i] is the loss of the '
                                          'parameters pass i started from)', rtol=1e-6)
    if not isinstance(params, dict) or set(params) != set(expected):
        raise Mismatch(f'{what} must return params with keys {sorted(expected)}')
    hint = ('after the first steps, the parameters differ from the update v = momentum * v - epsilon * grad, '
            'p = p + v, starting from your own init with the same seed and zero velocity')
    for name in expected:
        wrong = []
        if fit_kwargs['momentum']:
            plain, _ = momentum_replay(params0, loss_and_grads, fit_kwargs['epsilon'], 0.0, passes)
            wrong.append((plain[name], 'the momentum is ignored'))
        flipped, _ = momentum_replay(params0, loss_and_grads, -fit_kwargs['epsilon'], fit_kwargs['momentum'], passes)
        wrong.append((flipped[name], 'the step goes up the gradient: subtract epsilon * grad'))
        expect_array(params[name], expected[name], f"{what}['{name}'] ({hint})", rtol=1e-6,
                     atol=1e-9, known_mistakes=wrong)


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
