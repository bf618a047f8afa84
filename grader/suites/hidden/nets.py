"""Random inputs for the hidden tests, drawn from each test's seeded generator.

ReLU networks are redrawn until no pre-activation lies within KINK of 0, so that
centered differences never straddle relu's kink.
"""

import numpy as np

from solution import activations

KINK = 1e-3


def one_hot(y, classes):
    return np.eye(classes)[y]


def labels(rng, n, classes):
    """(n,) labels in 0..classes-1; every class appears when n >= classes."""
    y = rng.integers(0, classes, n)
    if n >= classes:
        y[:classes] = rng.permutation(classes)
    return y


def clear_of_kink(rng, draw, pre_activations, attempts=100):
    """draw() until every array pre_activations(drawn) returns is KINK away from 0."""
    for _ in range(attempts):
        drawn = draw()
        if all(np.min(np.abs(z), initial=np.inf) > KINK for z in pre_activations(drawn)):
            return drawn
    raise RuntimeError('could not draw inputs away from the ReLU kink')


def part_a(rng, n, d, h, c):
    """A random ReLU network: x, W_h, b_h, W_o, b_o, target, with pre-activations off the kink."""
    def draw():
        return {'x': rng.standard_normal((n, d)), 'W_h': rng.standard_normal((d, h)),
                'b_h': rng.standard_normal((1, h)) * 0.5, 'W_o': rng.standard_normal((h, c)),
                'b_o': rng.standard_normal((1, c)) * 0.5, 'target': one_hot(labels(rng, n, c), c)}
    return clear_of_kink(rng, draw, lambda net: [net['x'] @ net['W_h'] + net['b_h']])


def deep_net(rng, layers, n, act):
    """X, y and random params of a network with these layer sizes; off the kink for relu."""
    def draw():
        params = {}
        for l, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:]), start=1):
            params[f'W{l}'] = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in) * 1.5
            params[f'b{l}'] = rng.standard_normal((1, fan_out)) * 0.5
        return {'X': rng.standard_normal((n, layers[0])), 'y': labels(rng, n, layers[-1]), 'params': params}

    def hidden_pre_activations(net):
        a, zs = net['X'], []
        for l in range(1, len(layers) - 1):
            zs.append(a @ net['params'][f'W{l}'] + net['params'][f'b{l}'])
            a = activations.actFun(zs[-1], act)
        return zs

    return clear_of_kink(rng, draw, hidden_pre_activations if act == 'relu' else lambda net: [])


def two_layer_net(rng, n, d, h, c, act):
    """X, y and random two-layer params {'W1', 'b1', 'W2', 'b2'}."""
    return deep_net(rng, [d, h, c], n, act)
