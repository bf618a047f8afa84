"""Random inputs for Part 7's hidden tests, drawn from each test's seeded generator.

ReLU networks are redrawn until no hidden pre-activation lies within KINK of 0 (with the
dropout masks the test uses), so that centered differences never straddle relu's kink.
"""

from grader.suites.hidden import mlp_network as net
from grader.suites.public.mlp_cases import random_params

from .nets import clear_of_kink, labels


def mlp_net(rng, layers, n, act, batchnorm, drop=None):
    """X (n, D) off mean 0 and variance 1, y and random params; off the kink for relu.

    - drop: None, or (keep_prob, seed) of the contract's dropout masks the test will use
    """
    def draw():
        return {'X': rng.standard_normal((n, layers[0])) * 1.5 + 0.5, 'y': labels(rng, n, layers[-1]),
                'params': random_params(rng, layers, batchnorm)}

    def pre_activations(case):
        masks = net.dropout(*drop) if drop else None
        return net.hidden_pre_activations(case['X'], case['params'], act, 'train', masks)

    return clear_of_kink(rng, draw, pre_activations if act == 'relu' else lambda case: [])
