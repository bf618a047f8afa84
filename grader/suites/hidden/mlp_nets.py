"""Random inputs for Part 7's hidden tests, drawn from each test's seeded generator.

ReLU networks are redrawn until no hidden pre-activation lies within KINK of 0 (with the
dropout masks the test uses), so that centered differences never straddle relu's kink.
"""

import numpy as np

from grader.suites import mlp_network as net

from .nets import clear_of_kink, labels


def mlp_params(rng, layers, batchnorm):
    """Random params of init_mlp's keys and shapes, away from its starting values; running
    statistics unlike those of a batch of mlp_net's inputs."""
    params = {}
    for name, shape in net.mlp_shapes(layers, batchnorm).items():
        kind = name.rstrip('0123456789')
        if kind == 'W':
            params[name] = rng.standard_normal(shape) / np.sqrt(shape[0]) * 1.5
        elif kind == 'gamma':
            params[name] = 1.0 + 0.4 * rng.standard_normal(shape)
        elif kind == 'running_var':
            params[name] = rng.uniform(0.3, 3.0, shape)
        else:
            params[name] = 0.8 * rng.standard_normal(shape)
    return params


def mlp_net(rng, layers, n, act, batchnorm, drop=None):
    """X (n, D) off mean 0 and variance 1, y and random params; off the kink for relu.

    - drop: None, or (keep_prob, seed) of the contract's dropout masks the test will use
    """
    def draw():
        return {'X': rng.standard_normal((n, layers[0])) * 1.5 + 0.5, 'y': labels(rng, n, layers[-1]),
                'params': mlp_params(rng, layers, batchnorm)}

    def pre_activations(case):
        masks = net.dropout(*drop) if drop else None
        return net.hidden_pre_activations(case['X'], case['params'], act, 'train', masks)

    return clear_of_kink(rng, draw, pre_activations if act == 'relu' else lambda case: [])
