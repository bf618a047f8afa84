"""The assignment's public interface as data: which function lives where, and its part.

Mirrors the assignment contract; the test suites tag every test with the names below,
and a test's part (and so where its points count) follows from its first tag.
"""

MODULES = {
    'activations': ('relu', 'gradRelu', 'sigmoid', 'tanh', 'actFun', 'diff_actFun'),
    'losses': ('softmax', 'averageCE', 'gradCE'),
    'two_layer': ('compute', 'dL_dW_o', 'dL_db_o', 'dL_dW_h', 'dL_db_h', 'init_params',
                  'feedforward', 'calculate_loss', 'backprop', 'predict', 'momentum_step',
                  'fit_model'),
    'deep': ('init_deep', 'deep_feedforward', 'deep_loss', 'deep_backprop', 'deep_predict',
             'deep_fit'),
}

# (part name, points, functions); the handout's table of parts says the same.
PARTS = (
    ('1. Activations', 15, MODULES['activations']),
    ('2. Softmax and cross-entropy', 15, MODULES['losses']),
    ('3. Gradients of a two-layer ReLU network', 20, MODULES['two_layer'][:5]),
    ('4. Training a two-layer classifier', 30, MODULES['two_layer'][5:]),
    ('5. A deep network', 20, MODULES['deep']),
)

MODULE_OF = {name: module for module, names in MODULES.items() for name in names}
PART_OF = {name: part for part, _, names in PARTS for name in names}

# Hyper-parameters the grader may pass by keyword, and the defaults the contract gives them.
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
