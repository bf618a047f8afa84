"""What a fit returns, checked for its form, and the contract's momentum update replayed
with a step function the caller gives: the student's own loss and gradients in the public
suite (a relative expectation: no answer is computed here), the grader's in the hidden one."""

import numpy as np

from grader.engine.checks import Mismatch, as_array, expect_keys, expect_params


def momentum_replay(params, loss_and_grads, epsilon, momentum, passes, update=None):
    """Gradient descent with momentum as the contract defines it, run by the grader.

    Inputs:
    - params: {name: array}, the starting point
    - loss_and_grads: function params -> (loss, grads)
    - epsilon, momentum: learning rate and momentum coefficient
    - passes: number of steps
    - update: function (params, grads, velocity) -> (params, velocity) that takes the
      contract's step's place, the student's own momentum_step (own_update); None for the
      contract's v = momentum * v - epsilon * grad, p = p + v

    Returns:
    - params after the last step, and the loss at the start of each pass, (passes,)
    """
    velocity = {name: np.zeros_like(value) for name, value in params.items()}
    losses = []
    for _ in range(passes):
        loss, grads = loss_and_grads(params)
        losses.append(float(loss))
        if update is not None:
            params, velocity = update(params, grads, velocity)
            continue
        velocity = {k: momentum * velocity[k] - epsilon * np.asarray(grads[k]) for k in params}
        params = {k: params[k] + velocity[k] for k in params}
    return params, np.array(losses, dtype=np.float64)


def own_update(momentum_step, epsilon, momentum):
    """The student's momentum_step as momentum_replay's update: (params, grads, velocity) ->
    (params, velocity), the student's results asked through the seam; Mismatch unless they are
    two dicts with the keys of params, each array the size of its parameter.

    Inputs:
    - momentum_step: function (params, grads, velocity, epsilon, momentum), the student's
    - epsilon, momentum: the fit's
    """
    def update(params, grads, velocity):
        got = momentum_step(params, {k: np.asarray(grads[k], dtype=np.float64) for k in params}, velocity, epsilon,
                            momentum)
        if (not isinstance(got, (tuple, list)) or len(got) != 2
                or not all(isinstance(part, dict) and set(part) == set(params) for part in got)):
            raise Mismatch('momentum_step returned no (params, velocity) pair with the keys of params')
        return tuple({k: np.asarray(part[k], dtype=np.float64).reshape(np.shape(params[k])) for k in params}
                     for part in got)
    return update


def by_own_update(params, losses, replay):
    """For checks.expect_given: ('momentum_step',) when a fit's params and losses are those of
    `replay`, a function of no arguments replaying the fit with the student's own
    momentum_step; else (). A right momentum_step replays the contract's run, which the fit
    has missed already, so a fit is excused only by a momentum_step that is wrong."""
    return ('momentum_step',) if follows_replay(params, losses, *replay()) else ()


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


def mlp_shapes(layers, batchnorm=True):
    """{name: shape} of init_mlp(layers, batchnorm)'s params, in the contract's order."""
    shapes, L = {}, len(layers) - 1
    for l, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:]), start=1):
        shapes[f'W{l}'] = (fan_in, fan_out)
        names = ('gamma', 'beta', 'running_mean', 'running_var') if batchnorm and l < L else ('b',)
        shapes.update({f'{name}{l}': (1, fan_out) for name in names})
    return shapes
