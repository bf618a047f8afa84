"""The training tasks whose held-out accuracy is graded, with their hyper-parameters.

tools/calibrate.py measures the reference on each task over several data seeds;
the thresholds the grader applies sit in the test suites, next to the margin
below the measured accuracies.
"""

from dataclasses import dataclass, field

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
