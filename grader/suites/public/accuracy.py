"""The held-out accuracy of a fit on one task of the spec, the labels given by the caller:
the student's own predict in the public suite, the reference's in the hidden one."""

import math

import numpy as np

from grader import tasks
from grader.engine.checks import Mismatch
from grader.spec import MODELS, TASKS, THRESHOLDS

from .fits import cnn_shapes, contract_params, expect_losses, fit_result, mlp_shapes, network_shapes


def expect_accuracy(name, student, seed, predict):
    """Train the student's fit function on one task of the spec and check the held-out
    accuracy of the parameters it returns, labelled by `predict`, against the task's
    calibrated threshold.

    Inputs:
    - name: the task's name in grader.spec.TASKS
    - student: the seam
    - seed: data and init seed
    - predict: function of the task's model: (X, params) -> labels for a 'cnn',
      (X, params, actFun_type) -> labels for the others
    """
    task, calibration = TASKS[name], THRESHOLDS[name]
    model = MODELS[task.model]
    X_train, X_test, y_train, y_test = tasks.dataset(task, seed)
    trained = tasks.train(task, student, X_train, y_train, seed)
    params = _fit_params(task, trained, X_train, y_train)
    labels = predict(X_test, params, task.fit['actFun_type']) if model.activation else predict(X_test, params)
    accuracy = float(np.mean(np.asarray(labels) == y_test))
    if accuracy < calibration['threshold']:
        raise Mismatch(f'{name} (data seed {seed}): held-out accuracy {accuracy:.3f} of the parameters '
                       f'{model.fit} returned after training with {task.fit}; at least {calibration["threshold"]} is '
                       f'expected (the reference reaches at least {calibration["min"]} on each of the '
                       f'{calibration["seeds"]} seeds it was calibrated on)')


def params_shapes(task, X_train, classes):
    """{name: shape} of the params a task's fit returns, in the contract's shapes."""
    if task.model == 'cnn':
        return cnn_shapes(X_train.shape[1:], task.fit['num_filters'], task.fit['filter_size'], task.fit['hidden_dim'],
                          classes)
    if task.model == 'mlp':
        return mlp_shapes(task.shape, task.fit['batchnorm'])
    return network_shapes(list(task.shape) if task.model == 'deep' else [X_train.shape[1], task.shape, classes])


def _fit_params(task, trained, X_train, y_train):
    """The params a task's fit returned, in the contract's shapes, after checking its losses:
    one per pass, or per step of a minibatch fit. Keys of params beyond the contract's (an
    mlp_fit's) are its init's to answer for."""
    model = MODELS[task.model]
    params, losses = fit_result(trained, model.fit)
    name = 'losses'
    if model.history:
        if not isinstance(losses, dict) or 'loss' not in losses:
            raise Mismatch(f"{model.fit} must return a tuple (params, history), history a dict with the key 'loss'")
        losses, name = losses['loss'], "history['loss']"
    count = (task.fit['num_passes'] if model.losses == 'pass'
             else task.fit['num_epochs'] * math.ceil(len(X_train) / task.fit['batch_size']))
    expect_losses(losses, count, model.fit, per=model.losses, name=name)
    shapes = params_shapes(task, X_train, int(y_train.max()) + 1)
    params = {key: params[key] for key in shapes if key in params} if isinstance(params, dict) else params
    return contract_params(params, shapes, f'the params {model.fit} returned')
