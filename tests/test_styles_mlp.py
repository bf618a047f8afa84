"""Correct submissions to Parts 7 and 8 written unlike the reference keep every point: batch
norm's backward pass node by node on its graph, a class-based layer design whose fit draws its
dropout masks from a generator of its own, and loops, comprehensions and types of other kinds."""

import pytest

from grader.engine import grading
from grader.spec import SPEC
from tests.submissions import build, failed

# Batch norm one node of its graph at a time (CS231n's staged backward pass); dropout through
# np.where; mlp_fit computing its own passes, each layer's mask drawn in the loop over layers by
# dropout_forward with a seed of its own, taken from a third generator.
GRAPH = '''
def dropout_forward(x, keep_prob, seed):
    draws = np.random.default_rng(seed).random(x.shape)
    mask = np.where(draws < keep_prob, 1.0, 0.0)
    return np.where(mask == 1.0, x / keep_prob, 0.0), mask


def dropout_backward(dout, mask, keep_prob):
    return np.where(mask > 0, dout / keep_prob, 0.0)


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    n = x.shape[0]
    mean = np.sum(x, axis=0, keepdims=True) / n
    centred = x - mean
    var = np.sum(centred * centred, axis=0, keepdims=True) / n
    return gamma * centred / np.sqrt(var + eps) + beta, mean, var


def batchnorm_backward(dout, x, gamma, beta, eps=1e-5):
    n = x.shape[0]
    mu = np.mean(x, axis=0, keepdims=True)
    xmu = x - mu
    sq = xmu ** 2
    var = np.mean(sq, axis=0, keepdims=True)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    dbeta = np.sum(dout, axis=0, keepdims=True)
    dgamma = np.sum(dout * xhat, axis=0, keepdims=True)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0, keepdims=True)
    dxmu1 = dxhat * ivar
    dsqrtvar = -divar / sqrtvar ** 2
    dvar = 0.5 / np.sqrt(var + eps) * dsqrtvar
    dsq = np.ones_like(x) * dvar / n
    dxmu2 = 2.0 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0, keepdims=True)
    dx2 = np.ones_like(x) * dmu / n
    return dx1 + dx2, dgamma, dbeta


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return (x - running_mean) * (1.0 / np.sqrt(running_var + eps)) * gamma + beta


def _step(X, y, params, act, reg, keep_prob, seeds):
    """Loss, gradients and batch statistics, a mask per layer from dropout_forward."""
    L = sum(1 for k in params if k[0] == 'W')
    cache, stats, a = [], {}, X
    for l in range(1, L):
        h = a @ params['W%d' % l]
        if 'gamma%d' % l in params:
            z, stats['running_mean%d' % l], stats['running_var%d' % l] = batchnorm_forward(
                h, params['gamma%d' % l], params['beta%d' % l])
        else:
            z = h + params['b%d' % l]
        out, mask = dropout_forward(actFun(z, act), keep_prob, seeds[l - 1]) if keep_prob < 1 else (actFun(z, act), None)
        cache.append((a, h, z, mask))
        a = out
    scores = a @ params['W%d' % L] + params['b%d' % L]
    probs = softmax(scores)
    n = len(y)
    loss = -np.sum(np.log(probs[np.arange(n), y])) / n
    loss += reg / 2 * sum(np.sum(params['W%d' % l] ** 2) for l in range(1, L + 1))
    d = probs.copy()
    d[np.arange(n), y] -= 1
    d /= n
    grads = {'W%d' % L: a.T @ d + reg * params['W%d' % L], 'b%d' % L: d.sum(axis=0, keepdims=True)}
    da = d @ params['W%d' % L].T
    for l in reversed(range(1, L)):
        a_in, h, z, mask = cache[l - 1]
        if mask is not None:
            da = dropout_backward(da, mask, keep_prob)
        dz = da * diff_actFun(z, act)
        if 'gamma%d' % l in params:
            dh, grads['gamma%d' % l], grads['beta%d' % l] = batchnorm_backward(dz, h, params['gamma%d' % l],
                                                                             params['beta%d' % l])
        else:
            dh, grads['b%d' % l] = dz, dz.sum(axis=0, keepdims=True)
        grads['W%d' % l] = a_in.T @ dh + reg * params['W%d' % l]
        da = dh @ params['W%d' % l].T
    return loss, grads, stats


def mlp_fit(X, y, layer_sizes, actFun_type='relu', epsilon=0.05, momentum=0.9, reg_lambda=0.0,
            keep_prob=1.0, batchnorm=True, num_epochs=10, batch_size=64, seed=0, X_val=None, y_val=None):
    if (X_val is None) ^ (y_val is None):
        raise ValueError('X_val and y_val go together')
    params = init_mlp(layer_sizes, batchnorm, seed)
    velocity = {k: np.zeros_like(v) for k, v in params.items() if not k.startswith('running')}
    shuffler = np.random.default_rng(seed)
    mask_seeds = np.random.default_rng([seed, 7])        # the masks' own generator
    history = {'loss': [], 'train_accuracy': [], 'val_accuracy': []}
    for epoch in range(num_epochs):
        order = shuffler.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            idx = order[start:start + batch_size]
            seeds = [int(s) for s in mask_seeds.integers(0, 2 ** 31, len(layer_sizes) - 2)]
            loss, grads, stats = _step(X[idx], y[idx], params, actFun_type, reg_lambda, keep_prob, seeds)
            history['loss'].append(loss)
            for k in velocity:
                velocity[k] = momentum * velocity[k] - epsilon * grads[k]
                params[k] = params[k] + velocity[k]
            for k, batch_value in stats.items():
                params[k] = 0.9 * params[k] + 0.1 * batch_value
        history['train_accuracy'].append(np.mean(mlp_predict(X, params, actFun_type) == y))
        if X_val is not None:
            history['val_accuracy'].append(np.mean(mlp_predict(X_val, params, actFun_type) == y_val))
    return params, history
'''

# Layers as classes with forward and backward methods; the fit keeps one dropout generator of
# its own for the whole run.
CLASSES = '''
class Dense:
    def __init__(self, W, b=None):
        self.W, self.b = W, b

    def forward(self, a):
        self.a = a
        return a @ self.W if self.b is None else a @ self.W + self.b

    def backward(self, dz):
        grads = {'W': self.a.T @ dz}
        if self.b is not None:
            grads['b'] = np.sum(dz, axis=0, keepdims=True)
        return dz @ self.W.T, grads


class BatchNorm:
    def __init__(self, gamma, beta, running_mean, running_var):
        self.gamma, self.beta, self.running_mean, self.running_var = gamma, beta, running_mean, running_var

    def forward(self, h, training):
        if not training:
            return batchnorm_inference(h, self.gamma, self.beta, self.running_mean, self.running_var)
        self.h = h
        out, self.mean, self.var = batchnorm_forward(h, self.gamma, self.beta)
        return out

    def backward(self, dz):
        dh, dgamma, dbeta = batchnorm_backward(dz, self.h, self.gamma, self.beta)
        return dh, {'gamma': dgamma, 'beta': dbeta}


class Activation:
    def __init__(self, kind):
        self.kind = kind

    def forward(self, z, training):
        self.z = z
        return actFun(z, self.kind)

    def backward(self, da):
        return da * diff_actFun(self.z, self.kind), {}


class Dropout:
    def __init__(self, keep_prob, rng):
        self.keep_prob, self.rng = keep_prob, rng

    def forward(self, a, training):
        if not training or self.keep_prob >= 1:
            self.mask = None
            return a
        self.mask = (self.rng.random(a.shape) < self.keep_prob).astype(float)
        return a * self.mask / self.keep_prob

    def backward(self, da):
        return (da if self.mask is None else dropout_backward(da, self.mask, self.keep_prob)), {}


class Network:
    def __init__(self, params, kind, keep_prob=1.0, rng=None):
        self.params = params
        self.L = len([k for k in params if k.startswith('W')])
        self.stack = []
        for l in range(1, self.L):
            self.stack.append((l, Dense(params['W%d' % l], params.get('b%d' % l))))
            if 'gamma%d' % l in params:
                self.stack.append((l, BatchNorm(params['gamma%d' % l], params['beta%d' % l],
                                                params['running_mean%d' % l], params['running_var%d' % l])))
            self.stack.append((l, Activation(kind)))
            self.stack.append((l, Dropout(keep_prob, rng)))
        self.output = Dense(params['W%d' % self.L], params['b%d' % self.L])

    def scores(self, X, training):
        a = X
        for _, layer in self.stack:
            a = layer.forward(a) if isinstance(layer, Dense) else layer.forward(a, training)
        return self.output.forward(a)

    def loss_and_grads(self, X, y, reg):
        probs = softmax(self.scores(X, True))
        n = X.shape[0]
        loss = float(np.mean(-np.log(probs[np.arange(n), y])))
        loss += 0.5 * reg * sum(float(np.sum(self.params['W%d' % l] ** 2)) for l in range(1, self.L + 1))
        d = (probs - np.eye(probs.shape[1])[y]) / n
        d, output_grads = self.output.backward(d)
        grads = {'W%d' % self.L: output_grads['W'], 'b%d' % self.L: output_grads['b']}
        for l, layer in reversed(self.stack):
            d, layer_grads = layer.backward(d)
            grads.update({name + str(l): value for name, value in layer_grads.items()})
        for l in range(1, self.L + 1):
            grads['W%d' % l] = grads['W%d' % l] + reg * self.params['W%d' % l]
        return loss, grads

    def statistics(self):
        return {l: (layer.mean, layer.var) for l, layer in self.stack if isinstance(layer, BatchNorm)}


def mlp_loss_and_grads(X, y, params, actFun_type='relu', reg_lambda=0.0, keep_prob=1.0, seed=0):
    return Network(params, actFun_type, keep_prob, np.random.default_rng(seed)).loss_and_grads(X, y, reg_lambda)


def mlp_predict(X, params, actFun_type='relu'):
    return Network(params, actFun_type).scores(X, False).argmax(axis=1)


def mlp_fit(X, y, layer_sizes, actFun_type='relu', epsilon=0.05, momentum=0.9, reg_lambda=0.0,
            keep_prob=1.0, batchnorm=True, num_epochs=10, batch_size=64, seed=0, X_val=None, y_val=None):
    if X_val is None and y_val is not None or X_val is not None and y_val is None:
        raise ValueError('both or neither')
    params = init_mlp(layer_sizes, batchnorm, seed)
    learned = [k for k in params if 'running' not in k]
    velocity = dict.fromkeys(learned, 0.0)
    batches = np.random.default_rng(seed)
    drop = np.random.default_rng(seed + 1000003)
    losses, train, val = [], [], []
    for _ in range(num_epochs):
        order = batches.permutation(len(X))
        for chunk in np.array_split(order, range(batch_size, len(X), batch_size)):
            network = Network(params, actFun_type, keep_prob, drop)
            loss, grads = network.loss_and_grads(X[chunk], y[chunk], reg_lambda)
            losses.append(loss)
            params, velocity = momentum_step(params, {**dict.fromkeys(params, 0.0), **grads},
                                             {**dict.fromkeys(params, 0.0), **velocity}, epsilon, momentum)
            velocity = {k: velocity[k] for k in learned}
            for l, (mean, var) in network.statistics().items():
                params['running_mean%d' % l] = params['running_mean%d' % l] * 0.9 + mean * 0.1
                params['running_var%d' % l] = params['running_var%d' % l] * 0.9 + var * 0.1
        train.append(float((mlp_predict(X, params, actFun_type) == y).mean()))
        if X_val is not None:
            val.append(float((mlp_predict(X_val, params, actFun_type) == y_val).mean()))
    return params, {'loss': losses, 'train_accuracy': train, 'val_accuracy': val}
'''

# init_mlp drawn by a loop of its own (rng.normal with the scale), the layers walked by zip and
# while loops, the running averages as (1 - 0.1) * r + 0.1 * s in a comprehension, the history
# as numpy arrays, and a tuning choice of numpy numbers and a tuple.
LOOPS = '''
def init_mlp(layer_sizes, batchnorm=True, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    L = len(layer_sizes) - 1
    for l, (fan_in, fan_out) in enumerate(zip(layer_sizes, layer_sizes[1:]), start=1):
        params['W' + str(l)] = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=(fan_in, fan_out))
        if batchnorm and l < L:
            params['gamma' + str(l)] = np.ones((1, fan_out))
            params['beta' + str(l)] = np.zeros((1, fan_out))
            params['running_mean' + str(l)] = np.zeros((1, fan_out))
            params['running_var' + str(l)] = np.ones((1, fan_out))
        else:
            params['b' + str(l)] = np.zeros((1, fan_out))
    return params


def mlp_predict(X, params, actFun_type='relu'):
    L, l, a = mlp_num_layers(params), 1, X
    while l < L:
        z = a @ params['W' + str(l)]
        if ('gamma' + str(l)) in params:
            mean, var = params['running_mean' + str(l)], params['running_var' + str(l)]
            z = params['gamma' + str(l)] * (z - mean) / np.sqrt(var + 1e-5) + params['beta' + str(l)]
        else:
            z = z + params['b' + str(l)]
        a = actFun(z, actFun_type)
        l += 1
    return np.asarray(np.argmax(a @ params['W' + str(L)] + params['b' + str(L)], axis=1), dtype=np.int32)


def mlp_fit(X, y, layer_sizes, actFun_type='relu', epsilon=0.05, momentum=0.9, reg_lambda=0.0,
            keep_prob=1.0, batchnorm=True, num_epochs=10, batch_size=64, seed=0, X_val=None, y_val=None):
    if [X_val is None, y_val is None].count(True) == 1:
        raise ValueError('X_val without y_val, or y_val without X_val')
    params = init_mlp(layer_sizes, batchnorm, seed)
    v = {k: 0 * p for k, p in params.items() if not k.startswith('running_')}
    rng = np.random.default_rng(seed)
    n_batches = -(-len(X) // batch_size)
    losses = np.zeros(num_epochs * n_batches)
    train = np.zeros(num_epochs)
    val = np.zeros(num_epochs if X_val is not None else 0)
    for epoch in range(num_epochs):
        order = rng.permutation(len(X))
        for b in range(n_batches):
            rows = order[b * batch_size:(b + 1) * batch_size]
            k = epoch * n_batches + b
            losses[k], grads, stats = mlp_forward_backward(X[rows], y[rows], params, actFun_type, reg_lambda,
                                                           keep_prob, seed=[seed, k])
            v = {name: momentum * v[name] - epsilon * grads[name] for name in v}
            params.update({name: params[name] + v[name] for name in v})
            params.update({'running_' + name: (1 - 0.1) * params['running_' + name] + 0.1 * value
                           for name, value in stats.items()})
        train[epoch] = np.mean(mlp_predict(X, params, actFun_type) == y)
        if X_val is not None:
            val[epoch] = np.mean(mlp_predict(X_val, params, actFun_type) == y_val)
    return params, {'loss': losses, 'train_accuracy': train, 'val_accuracy': val}


def tuned_hyperparameters():
    return {'hidden_sizes': np.array([128]), 'actFun_type': 'relu', 'epsilon': np.float64(0.1),
            'momentum': np.float64(0.9), 'reg_lambda': 0.0, 'keep_prob': 1, 'batchnorm': False,
            'num_epochs': np.int64(200), 'batch_size': np.int64(128)}
'''


@pytest.mark.parametrize('style, source', [('batch norm on its graph, masks per layer in a loop', GRAPH),
                                           ('layers as classes', CLASSES),
                                           ('loops, comprehensions and numpy types', LOOPS)],
                         ids=lambda value: value if len(value) < 60 else '')
def test_a_correct_submission_in_another_style_keeps_parts_7_and_8(tmp_path, style, source):
    results = grading.grade(build(tmp_path / 'sub', append={'mlp.py': source}), SPEC.offering([7, 8]), 'all')
    assert results['score'] == 22, [(t['name'], t['output']) for t in failed(results)]
