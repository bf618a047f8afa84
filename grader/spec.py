"""The backprop homework as data: the one place its facts are written.

The package and its modules, the parts with their points, the contract's defaults, the
activations, the training tasks with their hyper-parameters and the calibrated
accuracy thresholds (thresholds.json, written by `python -m tools.calibrate --write`).
The grader, the skeleton and notebook generators, the plots, the handout's tables, the
project's tests and the benchmarks all read them here.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine.spec import Assignment, Module, Part

HERE = Path(__file__).resolve().parent

MODULES = (
    Module('activations', ('relu', 'gradRelu', 'sigmoid', 'tanh', 'actFun', 'diff_actFun')),
    Module('losses', ('softmax', 'averageCE', 'gradCE')),
    Module('two_layer', ('compute', 'dL_dW_o', 'dL_db_o', 'dL_dW_h', 'dL_db_h', 'init_params', 'feedforward',
                         'calculate_loss', 'backprop', 'predict', 'momentum_step', 'fit_model')),
    Module('deep', ('init_deep', 'deep_feedforward', 'deep_loss', 'deep_backprop', 'deep_predict', 'deep_fit')),
)

PARTS = (
    Part(1, 'Activations', 15, ('relu', 'gradRelu', 'sigmoid', 'tanh', 'actFun', 'diff_actFun')),
    Part(2, 'Softmax and cross-entropy', 15, ('softmax', 'averageCE', 'gradCE')),
    Part(3, 'Gradients of a two-layer ReLU network', 20, ('compute', 'dL_dW_o', 'dL_db_o', 'dL_dW_h', 'dL_db_h')),
    Part(4, 'Training a two-layer classifier', 30, ('init_params', 'feedforward', 'calculate_loss', 'backprop',
                                                    'predict', 'momentum_step', 'fit_model')),
    Part(5, 'A deep network', 20, ('init_deep', 'deep_feedforward', 'deep_loss', 'deep_backprop', 'deep_predict',
                                   'deep_fit')),
)

SPEC = Assignment(
    title='Neural networks and backpropagation from scratch',
    package='assignment',
    modules=MODULES,
    parts=PARTS,
    provided=('data', 'plots'),
    root=HERE.parent,
    folder=HERE,
    skeleton='assignment',
    handout='assignment/README.md',
)

ACTIVATIONS = ('tanh', 'sigmoid', 'relu')

# The keyword arguments the grader may leave out, and the defaults the contract gives them.
_LOSS_DEFAULTS = {'actFun_type': 'tanh', 'reg_lambda': 0.0}
DEFAULTS = {
    'init_params': {'seed': 0},
    'feedforward': {'actFun_type': 'tanh'},
    'calculate_loss': _LOSS_DEFAULTS,
    'backprop': _LOSS_DEFAULTS,
    'predict': {'actFun_type': 'tanh'},
    'fit_model': {'actFun_type': 'tanh', 'epsilon': 0.01, 'num_passes': 20000, 'reg_lambda': 0.01,
                  'momentum': 0.0, 'seed': 0},
    'init_deep': {'seed': 0},
    'deep_feedforward': {'actFun_type': 'tanh'},
    'deep_loss': _LOSS_DEFAULTS,
    'deep_backprop': _LOSS_DEFAULTS,
    'deep_predict': {'actFun_type': 'tanh'},
    'deep_fit': {'actFun_type': 'tanh', 'epsilon': 0.01, 'num_passes': 5000, 'reg_lambda': 0.01,
                 'momentum': 0.9, 'seed': 0},
}


@dataclass(frozen=True)
class Task:
    """A training task whose held-out accuracy is graded.

    - name: its name in feedback, thresholds.json and the README
    - loader: a function of the provided data module, e.g. 'load_moons'
    - loader_kwargs: its arguments; the task's seed is passed too when `seeded`
    - model: 'two_layer' (fit_model with `width` hidden units) or 'deep' (deep_fit with `layers`)
    - shape: nn_hidden_dim for 'two_layer', layer_sizes for 'deep'
    - fit: keyword arguments of the fit function (the seed is the task's)
    - seeded: whether the seed draws the data as well as the 70/30 split
    """

    name: str
    loader: str
    loader_kwargs: dict
    model: str
    shape: object
    fit: dict = field(default_factory=dict)
    seeded: bool = True


_SGD = {'epsilon': 0.1, 'momentum': 0.9, 'reg_lambda': 0.001, 'actFun_type': 'tanh'}
TASKS = {task.name: task for task in (
    Task('moons', 'load_moons', {'n_samples': 500, 'noise': 0.2}, 'two_layer', 3, dict(_SGD, num_passes=3000)),
    Task('circles', 'load_circles', {'n_samples': 500, 'noise': 0.1, 'factor': 0.5}, 'two_layer', 5,
         dict(_SGD, num_passes=3000)),
    # The digits are fixed; the seed varies the split only.
    Task('digits', 'load_digits', {}, 'two_layer', 32, dict(_SGD, num_passes=1000), seeded=False),
    Task('deep moons', 'load_moons', {'n_samples': 500, 'noise': 0.2}, 'deep', [2, 10, 10, 2],
         dict(_SGD, epsilon=0.05, num_passes=3000)),
)}

# {task: {'seeds': [...], 'mean': ..., 'min': ..., 'threshold': ..., 'margin': ...}}: the reference's
# held-out accuracy over the seeds it was calibrated on, and the least accuracy the grader accepts.
THRESHOLDS = json.loads((HERE / 'thresholds.json').read_text())
