"""Write expected.json: what the reference answers on the public tests' fixed inputs of
Parts 1-5, and the wrong answers of the known mistakes the feedback names.

Usage: python -m tools.expected [--check]
"""

import argparse
import json
import sys
from unittest import mock

import numpy as np

from grader.engine.checks import Cause
from grader.engine.gradcheck import numerical_gradient
from grader.spec import ACTIVATIONS, DEFAULTS
from grader.suites.hidden.initialisation import recipe_draws
from grader.suites.hidden.mistakes import (averageCE_mistakes, contract_momentum_step, gradCE_mistakes,
                                    hidden_layer_mistakes, l2_bias_mistakes, l2_gradient_mistakes, l2_loss_mistakes,
                                    momentum_step_mistakes)
from grader.suites.public import cases
from grader.suites.public.dense_checks import wrong_runs
from grader.suites.public.fits import momentum_replay
from solution import activations, deep, losses, two_layer

# The centered differences diff_actFun's public test compares with.
H = 1e-5


def compute():
    """{'answers': {key: plain data}, 'mistakes': {key: [[value, explanation], ...]}}."""
    answers, mistakes = {}, {}
    for part in (_activations, _losses, _gradients, _two_layer, _deep):
        part(answers, mistakes)
    return plain_data({'answers': answers, 'mistakes': mistakes})


def _activations(answers, mistakes):
    """Part 1: the activations of ACTIVATION_INPUT, and centered differences at DERIVATIVE_INPUT."""
    z, dz = cases.ACTIVATION_INPUT, cases.DERIVATIVE_INPUT
    for name in ('relu', 'gradRelu', 'sigmoid', 'tanh'):
        answers[name] = getattr(activations, name)(z)
    for act in ACTIVATIONS:
        answers[f'diff_actFun_{act}'] = (activations.actFun(dz + H, act) - activations.actFun(dz - H, act)) / (2 * H)
        mistakes[f'diff_actFun_{act}'] = [(activations.actFun(dz, act), f'that is {act} itself, not its derivative')]


def _losses(answers, mistakes):
    """Part 2: softmax, averageCE and gradCE on the fixed inputs, and gradCE's gradient check."""
    target, o = cases.TARGET, cases.GRAD_CHECK_LOGITS.copy()
    answers['softmax'] = losses.softmax(cases.LOGITS)
    answers['softmax_huge'] = losses.softmax(cases.HUGE_LOGITS)
    for key, prediction in (('averageCE', cases.PREDICTION), ('averageCE_with_zeros', cases.PREDICTION_WITH_ZEROS)):
        answers[key] = losses.averageCE(target, prediction)
        mistakes[key] = averageCE_mistakes(target, prediction)
    answers['gradCE'] = losses.gradCE(target, cases.PREDICTION)
    mistakes['gradCE'] = gradCE_mistakes(target, cases.PREDICTION)
    prediction = losses.softmax(o)
    answers['gradCE_at_logits_prediction'] = prediction
    answers['gradCE_at_logits'] = numerical_gradient(lambda: losses.averageCE(target, losses.softmax(o)), o)
    mistakes['gradCE_at_logits'] = gradCE_mistakes(target, prediction)


def _gradients(answers, mistakes):
    """Part 3: the hand-derived gradients on part_a's ReLU network."""
    a = cases.part_a()
    z = two_layer.compute(a['x'], a['W_h'], a['b_h'])
    h = activations.relu(z)
    prediction = two_layer.feedforward(a['x'], {'W1': a['W_h'], 'b1': a['b_h'], 'W2': a['W_o'],
                                               'b2': a['b_o']}, 'relu')
    hidden = (a['target'], prediction, a['W_o'], a['x'], a['W_h'], a['b_h'])
    answers.update({'compute': z, 'part_a_prediction': prediction, 'part_a_hidden': h,
                    'dL_dW_o': two_layer.dL_dW_o(a['target'], prediction, h),
                    'dL_db_o': two_layer.dL_db_o(a['target'], prediction),
                    'dL_dW_h': two_layer.dL_dW_h(*hidden), 'dL_db_h': two_layer.dL_db_h(*hidden)})
    wrong = hidden_layer_mistakes(*hidden)
    mistakes['dL_dW_h'], mistakes['dL_db_h'] = wrong['W_h'], wrong['b_h']
    answers['part_a_given'] = _gradients_given(a, prediction, h, hidden)


def _gradients_given(a, prediction, h, hidden):
    """{variant: {'fault', 'wrong', 'dL_dW_o', ...}}: what the four gradients of Part 3 are when
    one function they are built on makes a known mistake ('wrong', its result on part_a), so
    that a gradient that follows from it is not counted again (checks.follows_known)."""
    z = two_layer.compute(a['x'], a['W_h'], a['b_h'])
    wrong = {'gradCE': [(value, lambda t, p, value=value: value)
                        for value, _ in gradCE_mistakes(a['target'], prediction)],
             'gradRelu': [(activations.relu(z), activations.relu)],
             'compute': [(z - a['b_h'], lambda x, W, b: x @ W)]}
    variants = {}
    for fault, mistaken in wrong.items():
        for index, (value, function) in enumerate(mistaken):
            with mock.patch.object(two_layer, fault, function):
                variants[f'{fault} {index}'] = {
                    'fault': fault, 'wrong': value,
                    'dL_dW_o': two_layer.dL_dW_o(a['target'], prediction, h),
                    'dL_db_o': two_layer.dL_db_o(a['target'], prediction),
                    'dL_dW_h': two_layer.dL_dW_h(*hidden), 'dL_db_h': two_layer.dL_db_h(*hidden)}
    return variants


def _l2_gradient_mistakes(grads, params, reg, batch):
    """{name: known wrong gradients under L2} of every parameter."""
    return {name: (l2_gradient_mistakes(grads[name], params[name], reg, batch) if name.startswith('W')
                   else l2_bias_mistakes(grads[name], params[name], reg)) for name in params}


def _network_answers(answers, mistakes, functions, X, y, params):
    """The outputs of a network's feedforward, loss (with L2), backprop (with L2) and predict
    on fixed params, under the keys '{function}_{act}'; the known wrong gradients of backprop
    under '{function}_{act}/{parameter}'.

    Inputs:
    - functions: the module's functions in that order, e.g. (deep.deep_feedforward, ...)
    - X, y, params: the fixed inputs
    """
    feedforward, loss, backprop, predict = functions
    for act in ACTIVATIONS:
        answers[f'{feedforward.__name__}_{act}'] = feedforward(X, params, act)
        answers[f'{predict.__name__}_{act}'] = predict(X, params, act)
        answers[f'{loss.__name__}_{act}'] = loss(X, y, params, act, 0.1)
        answers[f'{backprop.__name__}_{act}'] = grads = backprop(X, y, params, act, 0.1)
        for name, wrong in _l2_gradient_mistakes(grads, params, 0.1, len(y)).items():
            mistakes[f'{backprop.__name__}_{act}/{name}'] = wrong


def _fit(answers, mistakes, key, init, step, fit, count=None):
    """The reference's run of a fit from its init, and the runs of the known wrong rules: in
    full under `key`, or only the first `count` losses."""
    passes = count or fit['num_passes']
    run = momentum_replay(init, step, fit['epsilon'], fit['momentum'], passes)
    wrong = wrong_runs(init, step, fit['epsilon'], fit['momentum'], passes)
    if count:
        answers[key] = {'init': init, 'losses': run[1]}
        mistakes[key] = [(losses_, why) for (_, losses_), why in wrong]
    else:
        answers[key] = {'init': init, 'params': run[0], 'losses': run[1]}
        mistakes[key] = [({'params': params, 'losses': losses_}, why) for (params, losses_), why in wrong]


def _two_layer(answers, mistakes):
    """Part 4: the two-layer classifier on fixed params, its init, momentum_step and fit."""
    n = cases.network()
    X, y, params = n['X'], n['y'], n['params']
    _network_answers(answers, mistakes, (two_layer.feedforward, two_layer.calculate_loss, two_layer.backprop,
                                         two_layer.predict), X, y, params)
    answers['calculate_loss_tanh_no_reg'] = data_loss = two_layer.calculate_loss(X, y, params, 'tanh', 0.0)
    mistakes['calculate_loss_tanh'] = l2_loss_mistakes(data_loss, [params['W1'], params['W2']], 0.1, len(y),
                                                       [params['b1'], params['b2']])
    answers['init_params_seed_5'] = two_layer.init_params(2, 4, 3, seed=5)
    answers['init_params_seed_5_draws'] = recipe_draws([2, 4, 3], 5)
    step_args = cases.MOMENTUM_STEP
    args = (step_args['params'], step_args['grads'], step_args['velocity'], step_args['epsilon'], step_args['momentum'])
    answers['momentum_step'] = contract_momentum_step(*args)
    mistakes['momentum_step'] = momentum_step_mistakes(*args)

    def step(act, reg):
        return lambda p: two_layer.loss_and_grads(X, y, p, act, reg)

    fit = cases.FIT_MODEL
    _fit(answers, mistakes, 'fit_model', two_layer.init_params(2, 4, 3, seed=fit['seed']),
         step(fit['actFun_type'], fit['reg_lambda']), fit)
    defaults = DEFAULTS['fit_model']
    _fit(answers, mistakes, 'fit_model_defaults',
         two_layer.init_params(2, cases.DEFAULTS_HIDDEN_DIM, 3, seed=defaults['seed']),
         step(defaults['actFun_type'], defaults['reg_lambda']), defaults, count=3)


def _deep(answers, mistakes):
    """Part 5: the deep network on fixed params, its init and fit."""
    d, layers = cases.deep_network(), cases.DEEP_LAYERS
    X, y, params = d['X'], d['y'], d['params']
    _network_answers(answers, mistakes, (deep.deep_feedforward, deep.deep_loss, deep.deep_backprop, deep.deep_predict),
                     X, y, params)
    weights = [v for k, v in params.items() if k.startswith('W')]
    biases = [v for k, v in params.items() if k.startswith('b')]
    mistakes['deep_loss_relu'] = l2_loss_mistakes(deep.deep_loss(X, y, params, 'relu', 0.0), weights, 0.1, len(y),
                                                  biases)
    answers['init_deep_seed_4'] = deep.init_deep(layers, seed=4)
    answers['init_deep_seed_4_draws'] = recipe_draws(layers, 4)

    def step(act, reg):
        return lambda p: deep.deep_loss_and_grads(X, y, p, act, reg)

    fit = cases.DEEP_FIT
    _fit(answers, mistakes, 'deep_fit', deep.init_deep(layers, seed=fit['seed']),
         step(fit['actFun_type'], fit['reg_lambda']), fit)
    defaults = DEFAULTS['deep_fit']
    _fit(answers, mistakes, 'deep_fit_defaults', deep.init_deep(layers, seed=defaults['seed']),
         step(defaults['actFun_type'], defaults['reg_lambda']), defaults, count=3)


def plain_data(value):
    """JSON's data of a result: arrays as nested lists, numbers as floats, pairs (value,
    explanation) of known mistakes as lists, an explanation's Cause as {'key', 'text'}."""
    if isinstance(value, Cause):
        return {'key': value.key, 'text': value.text}
    if isinstance(value, dict):
        return {key: plain_data(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    if isinstance(value, str):
        return value
    return float(value)


def agree(stored, computed, rtol=1e-12):
    """Whether two expectation files hold the same keys, explanations and numbers, the numbers
    to a relative tolerance: BLAS libraries differ in the last bits of a matrix product."""
    if isinstance(stored, dict) or isinstance(computed, dict):
        return (isinstance(stored, dict) and isinstance(computed, dict) and stored.keys() == computed.keys()
                and all(agree(stored[k], computed[k], rtol) for k in stored))
    if isinstance(stored, str) or isinstance(computed, str):
        return stored == computed
    try:
        a, b = np.asarray(stored, dtype=np.float64), np.asarray(computed, dtype=np.float64)
    except (TypeError, ValueError):      # ragged, or pairs (value, explanation)
        return (isinstance(stored, list) and isinstance(computed, list) and len(stored) == len(computed)
                and all(agree(x, y, rtol) for x, y in zip(stored, computed)))
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=1e-15, equal_nan=True))


def write_or_check(compute, path, module, argv=None):
    """The command line of an expectations file: write `path` with compute()'s plain data, or
    with --check return 1 when the file is missing or out of date.

    Inputs:
    - compute: function () -> plain data, the reference's outputs on public inputs
    - path: the JSON file the public tests read
    - module: the tool's module name, for the message that tells how to regenerate
    - argv: the command's arguments
    """
    parser = argparse.ArgumentParser(description=f"Write {path.name}: the reference's outputs on public inputs.")
    parser.add_argument('--check', action='store_true', help=f'exit 1 if {path.name} is out of date')
    args = parser.parse_args(argv)
    text = json.dumps(compute(), indent=1, sort_keys=True) + '\n'
    if args.check:
        stale = not path.exists() or not agree(json.loads(path.read_text()), json.loads(text))
        if stale:
            print(f'{path} is out of date: run `python -m {module}`', file=sys.stderr)
        return int(stale)
    path.write_text(text)
    print(f'wrote {path}')
    return 0


def main(argv=None):
    return write_or_check(compute, cases.EXPECTED_FILE, 'tools.expected', argv)


if __name__ == '__main__':
    sys.exit(main())
