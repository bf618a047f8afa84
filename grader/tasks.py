"""Running the training tasks of the spec: load a task's data, train an implementation on it.

An implementation is anything with the contract's modules as attributes: the reference
package, or the grader's `student` seam.
"""

import importlib
from types import SimpleNamespace

import numpy as np

from grader.spec import SPEC

data = importlib.import_module(f'{SPEC.package}.data')


def reference():
    """The reference solution, as an implementation: one attribute per module of the spec."""
    return SimpleNamespace(**{module.name: importlib.import_module(f'{SPEC.solution}.{module.name}')
                              for module in SPEC.modules})


def dataset(task, seed):
    """(X_train, X_test, y_train, y_test) of one seed: the task's data, split 70/30 stratified."""
    kwargs = dict(task.loader_kwargs, seed=seed) if task.seeded else task.loader_kwargs
    X, y = getattr(data, task.loader)(**kwargs)
    return data.stratified_split(X, y, test_fraction=0.3, seed=seed)


def train(task, implementation, X, y, seed):
    """(params, losses): the task's fit function of `implementation` on (X, y)."""
    if task.model == 'two_layer':
        return implementation.two_layer.fit_model(X, y, task.shape, seed=seed, **task.fit)
    if task.model == 'deep':
        return implementation.deep.deep_fit(X, y, task.shape, seed=seed, **task.fit)
    raise ValueError(f'task {task.name!r}: unknown model {task.model!r}')


def predict(task, implementation, params, X):
    """Integer labels (N,) of the task's predict function of `implementation`."""
    if task.model == 'two_layer':
        return implementation.two_layer.predict(X, params, task.fit['actFun_type'])
    return implementation.deep.deep_predict(X, params, task.fit['actFun_type'])


def evaluate(task, implementation, seed):
    """(held-out accuracy, losses as a float64 array) of a trusted implementation on one seed."""
    X_train, X_test, y_train, y_test = dataset(task, seed)
    params, losses = train(task, implementation, X_train, y_train, seed)
    labels = predict(task, implementation, params, X_test)
    return float(np.mean(np.asarray(labels) == y_test)), np.asarray(losses, dtype=np.float64)
