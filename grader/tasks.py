"""Running the training tasks of the spec: load a task's data, train an implementation on it.

An implementation is anything with the contract's modules as attributes: the reference
package, or the grader's `student` seam. The tuning task of Part 8 trains the reference's
mlp_fit with the keyword arguments a student chose, within the spec's budget.
"""

import importlib
import math
from types import SimpleNamespace

import numpy as np

from grader.spec import ACTIVATIONS, DEFAULTS, MODELS, SPEC, TUNING

data = importlib.import_module(f'{SPEC.package}.data')


def reference():
    """The reference solution, as an implementation: one attribute per module of the spec."""
    return SimpleNamespace(**{module.name: importlib.import_module(f'{SPEC.solution}.{module.name}')
                              for module in SPEC.modules})


def dataset(task, seed):
    """(X_train, X_test, y_train, y_test) of one seed: the task's data, split 70/30 stratified,
    or the training and held-out splits its loaders provide."""
    kwargs = dict(task.loader_kwargs, seed=seed) if task.seeded or task.split == 'provided' else task.loader_kwargs
    if task.split == 'provided':
        X_train, y_train, *_ = getattr(data, task.loader)(**kwargs)
        X_test, y_test = getattr(data, task.test_loader)(seed=seed)
        return X_train, X_test, y_train, y_test
    X, y = getattr(data, task.loader)(**kwargs)
    if X.ndim > 2:     # images: split the sample indices, keep the images whole
        train, test, y_train, y_test = data.stratified_split(np.arange(len(X))[:, None], y, test_fraction=0.3,
                                                             seed=seed)
        return X[train[:, 0]], X[test[:, 0]], y_train, y_test
    return data.stratified_split(X, y, test_fraction=0.3, seed=seed)


def train(task, implementation, X, y, seed, choice=None):
    """(params, losses or history): the task's fit function of `implementation` on (X, y);
    for the tuning task, the reference's mlp_fit with the keyword arguments of `choice`."""
    if task.model == 'tuned':
        layers, kwargs = tuned_arguments(choice, X.shape[1], int(y.max()) + 1)
        return reference().mlp.mlp_fit(X, y, layers, seed=seed, **kwargs)
    model = MODELS[task.model]
    fit = getattr(getattr(implementation, model.module), model.fit)
    return fit(X, y, task.shape, seed=seed, **task.fit) if model.layers else fit(X, y, seed=seed, **task.fit)


def predict(task, implementation, params, X, choice=None):
    """Integer labels (N,) of the task's predict function of `implementation`."""
    if task.model == 'tuned':
        return reference().mlp.mlp_predict(X, params, {**DEFAULTS['mlp_fit'], **choice}['actFun_type'])
    model = MODELS[task.model]
    predict = getattr(getattr(implementation, model.module), model.predict)
    return predict(X, params, task.fit['actFun_type']) if model.activation else predict(X, params)


def evaluate(task, implementation, seed, choice=None):
    """(held-out accuracy, losses as a float64 array) of a trusted implementation on one seed."""
    X_train, X_test, y_train, y_test = dataset(task, seed)
    params, losses = train(task, implementation, X_train, y_train, seed, choice)
    labels = predict(task, implementation, params, X_test, choice)
    losses = losses['loss'] if isinstance(losses, dict) else losses
    return float(np.mean(np.asarray(labels) == y_test)), np.asarray(losses, dtype=np.float64)


def tuned_arguments(choice, inputs, classes):
    """(layer_sizes, keyword arguments of mlp_fit) for a choice of tuned_hyperparameters()."""
    chosen = {**TUNING['defaults'], **choice}
    layers = [inputs, *chosen.pop('hidden_sizes'), classes]
    return layers, chosen


def tuning_problems(choice, inputs, classes, samples):
    """Why a choice of tuned_hyperparameters() breaks Part 8's rules: [] when it keeps them.

    Inputs:
    - choice: the dict the student's tuned_hyperparameters() returned
    - inputs, classes, samples: D, C and N_train of the tuning task
    """
    if not isinstance(choice, dict):
        return [f'tuned_hyperparameters() must return a dict of keyword arguments, not a {type(choice).__name__}']
    problems = [f'{key!r} is not one of the arguments it may choose ({", ".join(TUNING["keys"])})'
                for key in choice if key not in TUNING['keys']]
    if problems:
        return problems
    problems = _type_problems({**DEFAULTS['mlp_fit'], **TUNING['defaults'], **choice})
    if problems:
        return problems
    layers, kwargs = tuned_arguments(choice, inputs, classes)
    hidden, budget = layers[1:-1], TUNING['budget']
    epochs, batch = {**DEFAULTS['mlp_fit'], **kwargs}['num_epochs'], {**DEFAULTS['mlp_fit'], **kwargs}['batch_size']
    weights = sum(a * b for a, b in zip(layers[:-1], layers[1:]))
    if len(hidden) > budget['hidden_layers']:
        problems.append(f'{len(hidden)} hidden layers; at most {budget["hidden_layers"]}')
    if any(size > budget['hidden_size'] for size in hidden):
        problems.append(f'hidden_sizes {hidden}; at most {budget["hidden_size"]} units per layer')
    if epochs * samples * weights > budget['weight_passes']:
        problems.append(f'num_epochs * N_train * weights = {epochs} * {samples} * {weights} = '
                        f'{epochs * samples * weights:,}; at most {budget["weight_passes"]:,}')
    if epochs * math.ceil(samples / batch) > budget['steps']:
        problems.append(f'{epochs * math.ceil(samples / batch)} steps (num_epochs * ceil(N_train / batch_size)); '
                        f'at most {budget["steps"]:,}')
    return problems


def _type_problems(chosen):
    """Values of a choice that mlp_fit cannot take."""
    def number(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    def count(value):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    checks = {
        'hidden_sizes': (isinstance(chosen['hidden_sizes'], (list, tuple)) and len(chosen['hidden_sizes']) >= 1
                         and all(map(count, chosen['hidden_sizes'])), 'a list of one or more positive ints'),
        'actFun_type': (chosen['actFun_type'] in ACTIVATIONS, f'one of {", ".join(map(repr, ACTIVATIONS))}'),
        'epsilon': (number(chosen['epsilon']) and chosen['epsilon'] > 0, 'a positive number'),
        'momentum': (number(chosen['momentum']) and 0 <= chosen['momentum'] < 1, 'a number in [0, 1)'),
        'reg_lambda': (number(chosen['reg_lambda']) and chosen['reg_lambda'] >= 0, 'a number >= 0'),
        'keep_prob': (number(chosen['keep_prob']) and 0 < chosen['keep_prob'] <= 1, 'a number in (0, 1]'),
        'batchnorm': (isinstance(chosen['batchnorm'], bool), 'True or False'),
        'num_epochs': (count(chosen['num_epochs']), 'a positive int'),
        'batch_size': (count(chosen['batch_size']), 'a positive int'),
    }
    return [f'{key} = {chosen[key]!r}: it must be {what}' for key, (ok, what) in checks.items() if not ok]
