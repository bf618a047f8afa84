"""The held-out accuracy of a fit on one task of the spec, the labels given by the caller:
the student's own predict in the public suite, the reference's in the hidden one."""

import math

import numpy as np

from grader import tasks
from grader.engine.checks import Mismatch
from grader.spec import TASKS, THRESHOLDS

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
