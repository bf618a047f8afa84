"""The training tasks whose held-out accuracy is graded, with their hyper-parameters.

tools/calibrate.py measures the reference on each task over several data seeds;
the thresholds the grader applies sit in the test suites, next to the margin
below the measured accuracies.
"""

from dataclasses import dataclass, field

import numpy as np

from assignment import data


@dataclass(frozen=True)
class Task:
    """One dataset, one architecture, one set of fit_model / deep_fit arguments.

    layers: [H] trains fit_model with H hidden units; [D, H1, ..., C] trains deep_fit.
    """

    name: str
    load: callable      # seed -> (X (N, D), y (N,))
    deep: bool
    layers: list
    fit_kwargs: dict = field(default_factory=dict)

    def dataset(self, seed):
        """(X_train, X_test, y_train, y_test) for one data seed, split 70/30 stratified."""
        X, y = self.load(seed)
        return data.stratified_split(X, y, test_fraction=0.3, seed=seed)

    def run(self, two_layer, deep, seed):
        """Train an implementation on one seed's training split and predict the rest.

        Inputs:
        - two_layer, deep: objects with the contract's functions (modules, or the grader's seam)
        - seed: the data seed, also the seed of init_params / init_deep

        Returns:
        - losses: what fit_model / deep_fit returned as losses
        - labels: what predict / deep_predict returned for the held-out samples
        - y_test: the held-out samples' true labels, (N_test,)
        """
        X_train, X_test, y_train, y_test = self.dataset(seed)
        act = self.fit_kwargs['actFun_type']
        if self.deep:
            params, losses = deep.deep_fit(X_train, y_train, self.layers, seed=seed, **self.fit_kwargs)
            return losses, deep.deep_predict(X_test, params, act), y_test
        params, losses = two_layer.fit_model(X_train, y_train, self.layers[0], seed=seed, **self.fit_kwargs)
        return losses, two_layer.predict(X_test, params, act), y_test

    def evaluate(self, two_layer, deep, seed):
        """(held-out accuracy, losses as float64 array) of a trusted implementation."""
        losses, labels, y_test = self.run(two_layer, deep, seed)
        return float(np.mean(np.asarray(labels) == y_test)), np.asarray(losses, dtype=np.float64)


SGD = dict(epsilon=0.1, momentum=0.9, reg_lambda=0.001)

TASKS = (
    Task('moons', lambda seed: data.load_moons(500, noise=0.2, seed=seed), deep=False, layers=[3],
         fit_kwargs=dict(SGD, actFun_type='tanh', num_passes=3000)),
    Task('circles', lambda seed: data.load_circles(500, noise=0.1, factor=0.5, seed=seed), deep=False,
         layers=[5], fit_kwargs=dict(SGD, actFun_type='tanh', num_passes=3000)),
    # The digits are fixed; the seed varies the split only.
    Task('digits', lambda seed: data.load_digits(), deep=False, layers=[32],
         fit_kwargs=dict(SGD, actFun_type='tanh', num_passes=1000)),
    Task('deep moons', lambda seed: data.load_moons(500, noise=0.2, seed=seed), deep=True,
         layers=[2, 10, 10, 2], fit_kwargs=dict(SGD, epsilon=0.05, actFun_type='tanh', num_passes=3000)),
)
