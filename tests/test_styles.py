"""Correct submissions written unlike the reference keep every point of parts 1-5: loops, logsumexp, classes,
dispatch tables, initialisation by loops, the opposite velocity convention inside a fit,
absolute sibling imports, int32 labels, lists for losses."""

import pytest

from tests.submissions import MODULE_FILES, PARTS_1_TO_5, build, failed, grade

LOOPS = {
    'activations.py': '''
import math


def relu(x):
    out = np.array(x, dtype=float)
    for index in np.ndindex(out.shape):
        if out[index] < 0:
            out[index] = 0.0
    return out


def gradRelu(x):
    out = np.zeros(np.shape(x))
    for index in np.ndindex(out.shape):
        out[index] = 1.0 if x[index] > 0 else 0.0
    return out


def sigmoid(x):
    out = np.empty(np.shape(x))
    for index in np.ndindex(out.shape):
        v = float(x[index])
        out[index] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    return out
''',
    'losses.py': '''
import math


def softmax(x):
    out = np.empty(np.shape(x))
    for n, row in enumerate(x):
        e = np.exp(row - row.max())
        out[n] = e / e.sum()
    return out


def averageCE(target, prediction):
    total = 0.0
    for n in range(len(target)):
        c = int(np.argmax(target[n]))
        total -= math.log(prediction[n][c])
    return total / len(target)
''',
    'two_layer.py': '''
def dL_dW_o(target, prediction, h):
    grad = np.zeros((h.shape[1], target.shape[1]))
    for n in range(h.shape[0]):
        grad += np.outer(h[n], prediction[n] - target[n]) / h.shape[0]
    return grad


def momentum_step(params, grads, velocity, epsilon, momentum):
    new_params, new_velocity = {}, {}
    for key in params:
        new_velocity[key] = momentum * velocity[key] - epsilon * grads[key]
        new_params[key] = params[key] + new_velocity[key]
    return [new_params, new_velocity]


def fit_model(X, y, nn_hidden_dim, actFun_type='tanh', epsilon=0.01, num_passes=20000,
              reg_lambda=0.01, momentum=0.0, seed=0):
    params = init_params(X.shape[1], nn_hidden_dim, int(max(y)) + 1, seed)
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for _ in range(num_passes):
        losses.append(calculate_loss(X, y, params, actFun_type, reg_lambda))
        grads = backprop(X, y, params, actFun_type, reg_lambda)
        params, velocity = momentum_step(params, grads, velocity, epsilon, momentum)
    return params, losses
''',
}

LOGSUMEXP = {
    'activations.py': '''
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x))
''',
    'losses.py': '''
def softmax(x):
    x = np.asarray(x, dtype=np.float64)
    top = x.max(axis=1, keepdims=True)
    log_norm = top + np.log(np.exp(x - top).sum(axis=1, keepdims=True))
    return np.exp(x - log_norm)


def averageCE(target, prediction):
    return np.mean(-np.sum(target * np.log(np.clip(prediction, 1e-300, None)), axis=1))


def gradCE(target, prediction):
    return (np.asarray(prediction) - np.asarray(target)) / len(target)
''',
    'two_layer.py': '''
def predict(X, params, actFun_type='tanh'):
    return feedforward(X, params, actFun_type).argmax(axis=1).astype(np.int32)


def calculate_loss(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    logits = compute(actFun(compute(X, params['W1'], params['b1']), actFun_type), params['W2'], params['b2'])
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    data = -log_probs[np.arange(len(y)), y.astype(np.int32)].mean()
    return data + reg_lambda / 2 * sum(np.sum(params[w] ** 2) for w in ('W1', 'W2'))
''',
    'deep.py': '''
def deep_predict(X, params, actFun_type='tanh'):
    return np.argmax(deep_feedforward(X, params, actFun_type), axis=1).astype(np.int32)
''',
}

CLASSES = {
    'two_layer.py': '''
class TwoLayerNet:
    """A two-layer network bound to its parameters."""

    def __init__(self, params, activation):
        self.W1, self.b1, self.W2, self.b2 = (params[k] for k in ('W1', 'b1', 'W2', 'b2'))
        self.activation = activation

    def forward(self, X):
        self.X = X
        self.z1 = X @ self.W1 + self.b1
        self.a1 = actFun(self.z1, self.activation)
        self.probs = softmax(self.a1 @ self.W2 + self.b2)
        return self.probs

    def backward(self, y, reg):
        delta = self.probs.copy()
        delta[np.arange(len(y)), y] -= 1
        delta /= len(y)
        dz1 = delta @ self.W2.T * diff_actFun(self.z1, self.activation)
        return {'W1': self.X.T @ dz1 + reg * self.W1, 'b1': dz1.sum(axis=0, keepdims=True),
                'W2': self.a1.T @ delta + reg * self.W2, 'b2': delta.sum(axis=0, keepdims=True)}


def feedforward(X, params, actFun_type='tanh'):
    return TwoLayerNet(params, actFun_type).forward(X)


def backprop(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    net = TwoLayerNet(params, actFun_type)
    net.forward(X)
    return net.backward(y, reg_lambda)
''',
    'deep.py': '''
class Layer:
    def __init__(self, W, b, activation):
        self.W, self.b, self.activation = W, b, activation

    def forward(self, a):
        self.a, self.z = a, a @ self.W + self.b
        return self.z if self.activation is None else actFun(self.z, self.activation)

    def backward(self, dout):
        dz = dout if self.activation is None else dout * diff_actFun(self.z, self.activation)
        return dz @ self.W.T, self.a.T @ dz, dz.sum(axis=0, keepdims=True)


def _layers(params, actFun_type):
    L = len(params) // 2
    return [Layer(params[f'W{l}'], params[f'b{l}'], actFun_type if l < L else None) for l in range(1, L + 1)]


def deep_backprop(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    layers = _layers(params, actFun_type)
    out = X
    for layer in layers:
        out = layer.forward(out)
    dout = softmax(out)
    dout[np.arange(len(y)), y] -= 1
    dout /= len(y)
    grads = {}
    for l in range(len(layers), 0, -1):
        dout, dW, db = layers[l - 1].backward(dout)
        grads[f'W{l}'], grads[f'b{l}'] = dW + reg_lambda * params[f'W{l}'], db
    return grads
''',
}


# Dispatch tables of lambdas, a mean of per-row sums, initialisation by a loop over layers
# (x * sqrt(1/n), and rng.normal with the scale), 0.5 * lambda, a momentum_step over
# items, and a fit_model that keeps the opposite velocity u = -v internally: it moves the
# parameters exactly as the contract's rule does.
TABLES = {
    'activations.py': '''
_FORWARD = {'tanh': lambda z: tanh(z), 'sigmoid': lambda z: sigmoid(z), 'relu': lambda z: relu(z)}
_DERIVATIVE = {'tanh': lambda z: 1.0 - np.tanh(z) ** 2,
               'sigmoid': lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
               'relu': lambda z: gradRelu(z)}


def actFun(z, type):
    if type not in _FORWARD:
        raise ValueError(f'unknown activation {type!r}')
    return _FORWARD[type](z)


def diff_actFun(z, type):
    try:
        derivative = _DERIVATIVE[type]
    except KeyError:
        raise ValueError(type) from None
    return derivative(z)
''',
    'losses.py': '''
def averageCE(target, prediction):
    safe = np.where(target > 0, prediction, 1.0)
    per_row = np.sum(target * np.log(safe), axis=1)
    return -np.mean(per_row)
''',
    'two_layer.py': '''
def init_params(nn_input_dim, nn_hidden_dim, nn_output_dim, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [nn_input_dim, nn_hidden_dim, nn_output_dim]
    params = {}
    for l in (1, 2):
        fan_in, fan_out = sizes[l - 1], sizes[l]
        params['W%d' % l] = rng.standard_normal(size=(fan_in, fan_out)) * np.sqrt(1.0 / fan_in)
        params['b%d' % l] = np.zeros((1, fan_out))
    return params


def calculate_loss(X, y, params, actFun_type='tanh', reg_lambda=0.0):
    probs = feedforward(X, params, actFun_type)
    data = np.mean(-np.log(probs[np.arange(len(y)), y]))
    return data + 0.5 * reg_lambda * (np.sum(np.square(params['W1'])) + np.sum(np.square(params['W2'])))


def momentum_step(params, grads, velocity, epsilon, momentum):
    new_params, new_velocity = dict(params), dict(velocity)
    for key, value in params.items():
        new_velocity[key] = momentum * velocity[key] - epsilon * grads[key]
        new_params[key] = value + new_velocity[key]
    return new_params, new_velocity


def fit_model(X, y, nn_hidden_dim, actFun_type='tanh', epsilon=0.01, num_passes=20000,
              reg_lambda=0.01, momentum=0.0, seed=0):
    params = init_params(X.shape[1], nn_hidden_dim, int(y.max()) + 1, seed)
    u = {k: np.zeros_like(v) for k, v in params.items()}     # u = -v, the other convention
    losses = []
    for _ in range(num_passes):
        loss, grads = loss_and_grads(X, y, params, actFun_type, reg_lambda)
        losses.append(loss)
        for k in params:
            u[k] = momentum * u[k] + epsilon * grads[k]
            params[k] = params[k] - u[k]
    return params, np.array(losses)
''',
    'deep.py': '''
def init_deep(layer_sizes, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(layer_sizes)):
        fan_in, fan_out = layer_sizes[l - 1], layer_sizes[l]
        params[f'W{l}'] = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=(fan_in, fan_out))
        params[f'b{l}'] = np.zeros((1, fan_out))
    return params
''',
}


def absolute_imports(folder):
    for name in MODULE_FILES:
        path = folder / name
        path.write_text(path.read_text().replace('from .', 'from '))


@pytest.mark.parametrize('style, append', [('loops', LOOPS), ('logsumexp and int32 labels', LOGSUMEXP),
                                           ('classes', CLASSES), ('dispatch tables and the other velocity', TABLES)],
                         ids=lambda value: value if isinstance(value, str) else '')
def test_a_correct_submission_in_another_style_scores_100(tmp_path, style, append):
    results = grade(build(tmp_path / 'sub', append=append), 'all', PARTS_1_TO_5)
    assert results['score'] == results['extra_data']['max_score'], [(t['name'], t['output']) for t in failed(results)]


def test_absolute_sibling_imports_score_100(tmp_path):
    folder = build(tmp_path / 'sub')
    absolute_imports(folder)
    assert 'from activations import' in (folder / 'two_layer.py').read_text()
    results = grade(folder, 'all')
    assert results['score'] == 100, [(t['name'], t['output']) for t in failed(results)]
