"""The backprop homework as data: the one place its facts are written.

The package and its modules, the parts with their points, the contract's defaults, the
activations, the training tasks with their hyper-parameters, the questions students answer
in prose and the calibrated accuracy thresholds (thresholds.json, written by `python -m tools.calibrate --write`).
The grader, the skeleton and notebook generators, the plots, the handout's tables, the
project's tests and the benchmarks all read them here.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine.answers import Question, Written
from grader.engine.spec import Assignment, Module, Part

HERE = Path(__file__).resolve().parent

MODULES = (
    Module('activations', ('relu', 'gradRelu', 'sigmoid', 'tanh', 'actFun', 'diff_actFun')),
    Module('losses', ('softmax', 'averageCE', 'gradCE')),
    Module('two_layer', ('compute', 'dL_dW_o', 'dL_db_o', 'dL_dW_h', 'dL_db_h', 'init_params', 'feedforward',
                         'calculate_loss', 'backprop', 'predict', 'momentum_step', 'fit_model')),
    Module('deep', ('init_deep', 'deep_feedforward', 'deep_loss', 'deep_backprop', 'deep_predict', 'deep_fit')),
    Module('cnn', ('conv_forward', 'conv_backward', 'maxpool_forward', 'maxpool_backward', 'init_cnn',
                   'cnn_loss_and_grads', 'cnn_predict', 'cnn_fit')),
    Module('mlp', ('dropout_forward', 'dropout_backward', 'batchnorm_forward', 'batchnorm_backward',
                   'batchnorm_inference', 'init_mlp', 'mlp_loss_and_grads', 'mlp_predict', 'mlp_fit',
                   'tuned_hyperparameters')),
)

PARTS = (
    Part(1, 'Activations', 9, ('relu', 'gradRelu', 'sigmoid', 'tanh', 'actFun', 'diff_actFun')),
    Part(2, 'Softmax and cross-entropy', 9, ('softmax', 'averageCE', 'gradCE')),
    Part(3, 'Gradients of a two-layer ReLU network', 12, ('compute', 'dL_dW_o', 'dL_db_o', 'dL_dW_h', 'dL_db_h')),
    Part(4, 'Training a two-layer classifier', 18, ('init_params', 'feedforward', 'calculate_loss', 'backprop',
                                                    'predict', 'momentum_step', 'fit_model'), ('loss_and_grads',)),
    Part(5, 'A deep network', 12, ('init_deep', 'deep_feedforward', 'deep_loss', 'deep_backprop', 'deep_predict',
                                   'deep_fit'), ('deep_loss_and_grads',)),
    Part(6, 'A convolutional network', 18, ('conv_forward', 'conv_backward', 'maxpool_forward', 'maxpool_backward',
                                            'init_cnn', 'cnn_loss_and_grads', 'cnn_predict', 'cnn_fit'),
         ('im2col', 'col2im', 'cnn_forward')),
    Part(7, 'Dropout and batch normalisation', 14, ('dropout_forward', 'dropout_backward', 'batchnorm_forward',
                                                    'batchnorm_backward', 'batchnorm_inference', 'init_mlp',
                                                    'mlp_loss_and_grads', 'mlp_predict', 'mlp_fit'),
         ('mlp_forward_backward',)),
    Part(8, 'Tuning', 8, ('tuned_hyperparameters',)),
)

# What the reference builds each function on: the functions whose wrong results a test of it
# may find it follows from (grader/suites/hidden/given.py), and that a failed test of it names
# when they fail their own tests (engine/output/gradescope.py).
_FORWARD, _BACKWARD = ('compute', 'actFun', 'softmax'), ('compute', 'actFun', 'softmax', 'diff_actFun')
_CNN_FORWARD = ('conv_forward', 'maxpool_forward', 'relu', 'softmax')
CALLS = {
    'actFun': ('relu', 'sigmoid', 'tanh'),
    'diff_actFun': ('gradRelu', 'sigmoid', 'tanh'),
    'dL_dW_o': ('gradCE',),
    'dL_db_o': ('gradCE',),
    'dL_dW_h': ('gradCE', 'gradRelu', 'compute'),
    'dL_db_h': ('gradCE', 'gradRelu', 'compute'),
    'feedforward': _FORWARD,
    'calculate_loss': ('feedforward', 'averageCE'),
    'backprop': _BACKWARD,
    'predict': ('feedforward',),
    'fit_model': ('init_params', 'calculate_loss', 'backprop', 'momentum_step'),
    'deep_feedforward': ('actFun', 'softmax'),
    'deep_loss': ('deep_feedforward', 'averageCE'),
    'deep_backprop': ('actFun', 'softmax', 'diff_actFun'),
    'deep_predict': ('deep_feedforward',),
    'deep_fit': ('init_deep', 'deep_loss', 'deep_backprop', 'momentum_step'),
    'cnn_predict': _CNN_FORWARD,
    'cnn_loss_and_grads': (*_CNN_FORWARD, 'conv_backward', 'maxpool_backward', 'gradRelu'),
    'cnn_fit': ('init_cnn', 'cnn_loss_and_grads', 'momentum_step'),
    'init_mlp': ('init_deep',),
    'mlp_loss_and_grads': ('batchnorm_forward', 'batchnorm_backward', 'dropout_backward', 'actFun', 'diff_actFun',
                           'softmax'),
    'mlp_predict': ('batchnorm_inference', 'actFun'),
    'mlp_fit': ('init_mlp', 'mlp_loss_and_grads', 'momentum_step'),
}

# The handout's "Questions to think about", answered in assignment/answers.md or in the
# notebook's answer cells. A TA grades them by hand: their points come on top of the 100
# the tests give, and never change the autograded score. Two points where the question
# asks for an experiment or a derivation, one where it asks for an explanation.
# `python -m grader answers` shows each student's answers beside the figures of
# assignment/plots.py's FIGURES, drawn by the student's own code.
QUESTIONS = (
    Question(1, 4, "On moons, why does tanh train faster than sigmoid as a hidden activation with the same "
                   "learning rate? (Compare $\\tanh'(0)$ with $\\sigma'(0)$, and the mean of each activation.)", 1),
    Question(2, 4, 'Train 50 tanh units with `reg_lambda=0`. What happens to the training loss, to the test '
                   'accuracy and to the shape of the boundary? What does $\\lambda$ trade off?', 2),
    Question(3, 4, 'Plot the loss curves with `momentum=0` and `momentum=0.9`. What changes, early and late? '
                   'Can momentum make the loss go up for a few passes, and why?', 2),
    Question(4, 4, 'Why are the relu boundaries made of straight pieces? How many pieces can 3 units make?', 1),
    Question(5, 4, 'What happens if all weights start at zero? And if they are not divided by '
                   '$\\sqrt{n_{\\text{in}}}$ when the input has 64 features (digits)?', 1),
    Question(6, 6, "How many weights does the CNN's first layer have, and how many would a fully connected layer "
                   'from the 64 pixels to the same 8 x 8 x 8 outputs need? What does weight sharing assume about '
                   'images?', 1),
    Question(7, 6, 'Show that a $1 \\times 1$ convolution is an affine layer applied at every pixel. What does '
                   '`im2col` return for $k = 1$, stride 1, no padding?', 2),
    Question(8, 6, '`plot_filters` on the trained CNN: do any filters look like edge or stroke detectors? What do '
                   'they look like at initialisation?', 1),
    Question(9, 6, 'Max-pooling after relu: why does the order of relu and max-pool not matter for the forward '
                   'pass? Does it matter for the cost?', 1),
    Question(10, 6, "Why is a convolution's backward pass with respect to its input a convolution with the flipped "
                    'kernel? Check it on a 1-D example with $k = 2$.', 2),
    Question(11, 7, 'Train the MLP on digits with `keep_prob` 1.0, 0.8 and 0.5. Why is the training accuracy in '
                    '`history` higher than the training loss suggests, with dropout? (Which mode computes each?)', 2),
    Question(12, 7, "What does batch norm do to a layer's output if you multiply that layer's weights by 10? What "
                    'does that imply about L2 on weights followed by batch norm?', 1),
    Question(13, 7, 'Train with batch norm and `batch_size=2`, then predict one sample at a time in training mode '
                    'and in inference mode. What goes wrong with each?', 2),
    Question(14, 8, 'In Part 8, which knobs mattered most, and why does the best setting on the tuning task differ '
                    'from the best on digits?', 1),
    Question(15, 8, 'Your best validation accuracy is an optimistic estimate of the test accuracy. Why, and how '
                    'much lower was your test score?', 1),
)
WRITTEN = Written(QUESTIONS, figures='assignment.plots:FIGURES')

SPEC = Assignment(
    title='Neural networks and backpropagation from scratch',
    package='assignment',
    modules=MODULES,
    parts=PARTS,
    provided=('data', 'plots', 'check'),
    root=HERE.parent,
    folder=HERE,
    skeleton='assignment',
    handout='assignment/README.md',
    calls=tuple(CALLS.items()),
    # A fit of this homework's sizes takes about 2 s with the reference and under 5 s with a
    # loop over output positions; loops over samples and filters as well take minutes.
    training_timeout=60.0,
    written=WRITTEN,
)

ACTIVATIONS = ('tanh', 'sigmoid', 'relu')

# Batch normalisation's contract: the eps under the square root, and the running statistics'
# update after every training step, running = RUNNING_MOMENTUM * running + (1 - RUNNING_MOMENTUM) * batch's.
BATCHNORM_EPS = 1e-5
RUNNING_MOMENTUM = 0.9

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
    'conv_forward': {'stride': 1, 'pad': 0},
    'conv_backward': {'stride': 1, 'pad': 0},
    'maxpool_forward': {'size': 2, 'stride': 2},
    'maxpool_backward': {'size': 2, 'stride': 2},
    'init_cnn': {'num_filters': 8, 'filter_size': 3, 'hidden_dim': 64, 'num_classes': 10, 'seed': 0},
    'cnn_loss_and_grads': {'reg_lambda': 0.0},
    'cnn_fit': {'num_filters': 8, 'filter_size': 3, 'hidden_dim': 64, 'epsilon': 0.05, 'momentum': 0.9,
                'reg_lambda': 0.0, 'num_epochs': 10, 'batch_size': 32, 'seed': 0},
    'batchnorm_forward': {'eps': BATCHNORM_EPS},
    'batchnorm_backward': {'eps': BATCHNORM_EPS},
    'batchnorm_inference': {'eps': BATCHNORM_EPS},
    'init_mlp': {'batchnorm': True, 'seed': 0},
    'mlp_loss_and_grads': {'actFun_type': 'relu', 'reg_lambda': 0.0, 'keep_prob': 1.0, 'seed': 0},
    'mlp_predict': {'actFun_type': 'relu'},
    'mlp_fit': {'actFun_type': 'relu', 'epsilon': 0.05, 'momentum': 0.9, 'reg_lambda': 0.0, 'keep_prob': 1.0,
                'batchnorm': True, 'num_epochs': 10, 'batch_size': 64, 'seed': 0, 'X_val': None, 'y_val': None},
}


@dataclass(frozen=True)
class Model:
    """A kind of network a training task trains with the student's functions.

    - module: the contract module of its functions
    - fit, predict: the names of its fit and predict functions
    - layers: whether the fit takes the task's shape as its third argument
    - activation: whether predict takes the task's actFun_type
    - losses: 'pass' (one loss per pass over all samples, num_passes of them) or 'step' (one
      per minibatch, num_epochs * ceil(N / batch_size) of them)
    - history: whether the fit returns (params, history) with the losses in history['loss'],
      rather than (params, losses)
    - described: how the handout names it, with {shape} for the task's shape
    """

    module: str
    fit: str
    predict: str
    layers: bool
    activation: bool
    losses: str
    history: bool
    described: str


MODELS = {
    'two_layer': Model('two_layer', 'fit_model', 'predict', True, True, 'pass', False,
                       '`fit_model`, {shape} hidden units'),
    'deep': Model('deep', 'deep_fit', 'deep_predict', True, True, 'pass', False, '`deep_fit`, `layer_sizes = {shape}`'),
    'cnn': Model('cnn', 'cnn_fit', 'cnn_predict', False, False, 'step', False, '`cnn_fit`'),
    'mlp': Model('mlp', 'mlp_fit', 'mlp_predict', True, True, 'step', True, '`mlp_fit`, `layer_sizes = {shape}`'),
}
# The tuning task of Part 8 trains the reference's mlp_fit with the student's choice.
TUNED = "the reference's `mlp_fit` with your `tuned_hyperparameters()`"


@dataclass(frozen=True)
class Task:
    """A training task whose held-out accuracy is graded.

    - name: its name in feedback, thresholds.json and the README
    - loader: a function of the provided data module, e.g. 'load_moons'
    - loader_kwargs: its arguments; the task's seed is passed too when `seeded`
    - model: a key of MODELS, or 'tuned' (Part 8: the reference's mlp_fit with the student's choice)
    - shape: nn_hidden_dim for 'two_layer', layer_sizes for 'deep' and 'mlp', None for 'cnn'
      (its architecture is in `fit`)
    - fit: keyword arguments of the fit function (the seed is the task's)
    - seeded: whether the seed draws the data as well as the split
    - split: 'stratified' (70/30 of what the loader returns) or 'provided' (the loader
      returns the training split, and test_loader the held-out one)
    - test_loader: for a provided split, the data function of the held-out split
    """

    name: str
    loader: str
    loader_kwargs: dict
    model: str
    shape: object
    fit: dict = field(default_factory=dict)
    seeded: bool = True
    split: str = 'stratified'
    test_loader: str = None


_SGD = {'epsilon': 0.1, 'momentum': 0.9, 'reg_lambda': 0.001, 'actFun_type': 'tanh'}
TASKS = {task.name: task for task in (
    Task('moons', 'load_moons', {'n_samples': 500, 'noise': 0.2}, 'two_layer', 3, dict(_SGD, num_passes=3000)),
    Task('circles', 'load_circles', {'n_samples': 500, 'noise': 0.1, 'factor': 0.5}, 'two_layer', 5,
         dict(_SGD, num_passes=3000)),
    # The digits are fixed; the seed varies the split only.
    Task('digits', 'load_digits', {}, 'two_layer', 32, dict(_SGD, num_passes=1000), seeded=False),
    Task('deep moons', 'load_moons', {'n_samples': 500, 'noise': 0.2}, 'deep', [2, 10, 10, 2],
         dict(_SGD, epsilon=0.05, num_passes=3000)),
    Task('cnn digits', 'load_digit_images', {}, 'cnn', None,
         {'num_filters': 8, 'filter_size': 3, 'hidden_dim': 64, 'epsilon': 0.05, 'momentum': 0.9,
          'reg_lambda': 0.001, 'num_epochs': 15, 'batch_size': 32}, seeded=False),
    Task('mlp digits', 'load_digits', {}, 'mlp', [64, 64, 10],
         {'actFun_type': 'relu', 'epsilon': 0.05, 'momentum': 0.9, 'reg_lambda': 0.0, 'keep_prob': 0.8,
          'batchnorm': True, 'num_epochs': 20, 'batch_size': 64}, seeded=False),
    # Part 8: the student's tuned_hyperparameters(), trained by the reference's mlp_fit.
    Task('tuning', 'load_tuning_task', {}, 'tuned', None, split='provided', test_loader='load_tuning_test'),
)}

# Part 8's rules: the keyword arguments tuned_hyperparameters() may return, what the grader
# uses for those it leaves out (mlp_fit's defaults, and one hidden layer of 32 units), and the
# compute budget it enforces on the tuning task (D = 3 inputs, C = 4 classes, 1000 training
# samples): num_epochs * N_train * (number of weights) multiply-adds, num_epochs * ceil(N_train /
# batch_size) steps, and the number and width of the hidden layers.
TUNING = {
    'keys': ('hidden_sizes', 'actFun_type', 'epsilon', 'momentum', 'reg_lambda', 'keep_prob', 'batchnorm',
             'num_epochs', 'batch_size'),
    'defaults': {'hidden_sizes': [32]},
    'budget': {'weight_passes': 300_000_000, 'steps': 2_500, 'hidden_layers': 2, 'hidden_size': 256},
}

# {task: {'seeds': [...], 'mean': ..., 'min': ..., 'threshold': ..., 'margin': ...}}: the reference's
# held-out accuracy over the seeds it was calibrated on, and the least accuracy the grader accepts.
THRESHOLDS = json.loads((HERE / 'thresholds.json').read_text())
