"""Compute the reference's outputs on the public tests' fixed inputs: expected.json.

Usage: python -m tools.expected [--check]
"""

import argparse
import json
import sys

import numpy as np

from grader.spec import ACTIVATIONS
from grader.suites.public import cases
from solution import activations, deep, two_layer



def compute():
    """{key: plain data} for every expectation the public tests look up."""
    a, n, d = cases.part_a(), cases.network(), cases.deep_network()
    h = activations.relu(two_layer.compute(a['x'], a['W_h'], a['b_h']))
    prediction = two_layer.feedforward(a['x'], {'W1': a['W_h'], 'b1': a['b_h'], 'W2': a['W_o'],
                                               'b2': a['b_o']}, 'relu')
    hidden = (a['target'], prediction, a['W_o'], a['x'], a['W_h'], a['b_h'])
    out = {
        'compute': two_layer.compute(a['x'], a['W_h'], a['b_h']),
        'part_a_prediction': prediction,
        'dL_dW_o': two_layer.dL_dW_o(a['target'], prediction, h),
        'dL_db_o': two_layer.dL_db_o(a['target'], prediction),
        'dL_dW_h': two_layer.dL_dW_h(*hidden),
        'dL_db_h': two_layer.dL_db_h(*hidden),
    }
    for act in ACTIVATIONS:
        out[f'feedforward_{act}'] = two_layer.feedforward(n['X'], n['params'], act)
        out[f'calculate_loss_{act}'] = two_layer.calculate_loss(n['X'], n['y'], n['params'], act, 0.1)
        out[f'backprop_{act}'] = two_layer.backprop(n['X'], n['y'], n['params'], act, 0.1)
        out[f'predict_{act}'] = two_layer.predict(n['X'], n['params'], act)
        out[f'deep_feedforward_{act}'] = deep.deep_feedforward(d['X'], d['params'], act)
        out[f'deep_loss_{act}'] = deep.deep_loss(d['X'], d['y'], d['params'], act, 0.1)
        out[f'deep_backprop_{act}'] = deep.deep_backprop(d['X'], d['y'], d['params'], act, 0.1)
        out[f'deep_predict_{act}'] = deep.deep_predict(d['X'], d['params'], act)
    out['init_params_seed_5'] = two_layer.init_params(2, 4, 3, seed=5)
    out['init_deep_seed_4'] = deep.init_deep(cases.DEEP_LAYERS, seed=4)
    out['calculate_loss_tanh_no_reg'] = two_layer.calculate_loss(n['X'], n['y'], n['params'], 'tanh', 0.0)
    return plain_data(out)


def plain_data(value):
    if isinstance(value, dict):
        return {key: plain_data(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    return float(value)


def agree(stored, computed, rtol=1e-12):
    """Whether two expectation files hold the same keys and numbers, to a relative tolerance:
    BLAS libraries differ in the last bits of a matrix product."""
    if isinstance(stored, dict) or isinstance(computed, dict):
        return (isinstance(stored, dict) and isinstance(computed, dict) and stored.keys() == computed.keys()
                and all(agree(stored[k], computed[k], rtol) for k in stored))
    try:
        a, b = np.asarray(stored, dtype=np.float64), np.asarray(computed, dtype=np.float64)
    except ValueError:
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=1e-15))


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
