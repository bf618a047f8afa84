"""The reference MLP with dropout and batch normalisation (parts 7 and 8).

Compared with a naive forward pass written here from the contract's formulas, with the
batch-norm backward pass taken one node of its computational graph at a time, and with
centered differences; then its recipes (masks, initialisation, batches, running
statistics) and what it learns.
"""

import numpy as np
import pytest

from assignment import data
from grader import tasks
from grader.engine.gradcheck import numerical_gradient, numerical_gradients, relative_error
from grader.spec import BATCHNORM_EPS, DEFAULTS, RUNNING_MOMENTUM, TASKS
from solution import deep, mlp, two_layer

# As in test_reference_cnn: rounding in a loss evaluation, divided by 2h, is a relative
# error just above 1e-7 on gradient entries below 1e-3; a wrong gradient is off by 1e-2.
TOLERANCE = 1e-6
KINK = 1e-3
EPS = 1e-5
ACTIVATIONS = {'relu': lambda z: np.maximum(z, 0), 'tanh': np.tanh,
               'sigmoid': lambda z: 1 / (1 + np.exp(-z))}


# ------------------------------------------------------------ naive references

def naive_mlp(X, y, params, act='relu', reg_lambda=0.0, keep_prob=1.0, seed=0, training=True):
    """Loss, scores and every hidden pre-activation, straight from the contract's recipe."""
    L = sum(name.startswith('W') for name in params)
    rng = np.random.default_rng(seed)
    a, pre_activations, statistics = X, [], {}
    for l in range(1, L):
        h = a @ params[f'W{l}']
        if f'gamma{l}' in params:
            if training:
                mean = h.sum(axis=0) / len(h)
                var = ((h - mean) ** 2).sum(axis=0) / len(h)
                statistics[l] = (mean, var)
            else:
                mean, var = params[f'running_mean{l}'], params[f'running_var{l}']
            z = params[f'gamma{l}'] * (h - mean) / np.sqrt(var + EPS) + params[f'beta{l}']
        else:
            z = h + params[f'b{l}']
        pre_activations.append(z)
        a = ACTIVATIONS[act](z)
        if training and keep_prob < 1:
            a = a * (rng.random((len(X), a.shape[1])) < keep_prob) / keep_prob
    scores = a @ params[f'W{L}'] + params[f'b{L}']
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    penalty = sum(np.sum(params[f'W{l}'] ** 2) for l in range(1, L + 1))
    loss = -log_probs[np.arange(len(y)), y].mean() + 0.5 * reg_lambda * penalty
    return loss, scores, pre_activations, statistics


def batchnorm_backward_graph(dout, x, gamma, eps=EPS):
    """The batch-norm backward pass one node of the forward graph at a time."""
    N = len(x)
    mu = x.sum(axis=0) / N                   # node 1: the mean
    xmu = x - mu                             # node 2: centred (feeds nodes 3 and 6)
    sq = xmu ** 2                            # node 3
    var = sq.sum(axis=0) / N                 # node 4: the biased variance
    std = np.sqrt(var + eps)                 # node 5
    inv = 1 / std                            # node 6
    x_hat = xmu * inv                        # node 7
    dgamma = (dout * x_hat).sum(axis=0, keepdims=True)
    dbeta = dout.sum(axis=0, keepdims=True)
    dx_hat = dout * gamma
    dinv = (dx_hat * xmu).sum(axis=0)        # back through node 7, to its two inputs
    dxmu = dx_hat * inv
    dstd = -dinv / std ** 2                  # node 6
    dvar = 0.5 * dstd / std                  # node 5
    dsq = np.ones_like(sq) * dvar / N        # node 4
    dxmu = dxmu + 2 * xmu * dsq              # node 3: xmu's second use adds up
    dmu = -dxmu.sum(axis=0)                  # node 2
    dx = dxmu + dmu / N                      # nodes 2 and 1 both reach x
    return dx, dgamma, dbeta


# -------------------------------------------------------------------- dropout

@pytest.mark.parametrize('keep_prob', [0.2, 0.5, 0.9])
def test_dropout_forward_draws_its_mask_from_the_seed(keep_prob):
    x = np.random.default_rng(0).standard_normal((40, 7))
    out, mask = mlp.dropout_forward(x, keep_prob, seed=3)
    expected_mask = np.random.default_rng(3).random((40, 7)) < keep_prob
    assert mask.dtype.kind == 'f' and set(np.unique(mask)) <= {0.0, 1.0}
    np.testing.assert_array_equal(mask, expected_mask)
    np.testing.assert_allclose(out, x * expected_mask / keep_prob, rtol=1e-15)
    assert not np.array_equal(mlp.dropout_forward(x, keep_prob, seed=4)[1], mask)


def test_dropout_keeps_the_expected_value_and_keep_prob_one_changes_nothing():
    x = np.ones((400, 500))
    out, mask = mlp.dropout_forward(x, 0.25, seed=0)
    assert abs(mask.mean() - 0.25) < 0.01 and abs(out.mean() - 1.0) < 0.03
    out, mask = mlp.dropout_forward(x, 1.0, seed=0)
    np.testing.assert_array_equal(out, x)
    assert np.all(mask == 1.0)


def test_dropout_backward_is_the_numerical_gradient():
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    _, mask = mlp.dropout_forward(x, 0.6, seed=2)
    numeric = numerical_gradient(lambda: float(np.sum(mlp.dropout_forward(x, 0.6, seed=2)[0] * dout)), x)
    assert relative_error(mlp.dropout_backward(dout, mask, 0.6), numeric) < TOLERANCE


# ---------------------------------------------------------- batch normalisation

def bn_inputs(seed, n=7, d=4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * 3 + 2
    gamma = rng.standard_normal((1, d))
    beta = rng.standard_normal((1, d))
    return x, gamma, beta, rng.standard_normal((n, d))


def test_batchnorm_forward_uses_the_biased_batch_statistics():
    x, gamma, beta, _ = bn_inputs(0)
    out, mean, var = mlp.batchnorm_forward(x, gamma, beta)
    assert mean.shape == var.shape == (1, 4) and out.shape == x.shape
    np.testing.assert_allclose(mean, x.sum(axis=0, keepdims=True) / 7, rtol=1e-13)
    np.testing.assert_allclose(var, ((x - mean) ** 2).sum(axis=0, keepdims=True) / 7, rtol=1e-13)
    # Every column comes out with mean beta and standard deviation |gamma| (up to eps).
    np.testing.assert_allclose(out.mean(axis=0, keepdims=True), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0, keepdims=True), np.abs(gamma) * np.sqrt(var / (var + EPS)),
                               rtol=1e-12)


@pytest.mark.parametrize('n', [1, 3, 7, 32])
def test_batchnorm_backward_matches_the_graph_and_the_numerical_gradient(n):
    x, gamma, beta, dout = bn_inputs(n, n=n)
    dx, dgamma, dbeta = mlp.batchnorm_backward(dout, x, gamma, beta)
    for name, got, want in zip(('dx', 'dgamma', 'dbeta'), (dx, dgamma, dbeta),
                               batchnorm_backward_graph(dout, x, gamma)):
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)
    f = lambda: float(np.sum(mlp.batchnorm_forward(x, gamma, beta)[0] * dout))
    numeric = numerical_gradients(f, {'x': x, 'gamma': gamma, 'beta': beta})
    for name, analytic in (('x', dx), ('gamma', dgamma), ('beta', dbeta)):
        assert relative_error(analytic, numeric[name]) < TOLERANCE, name


def test_batchnorm_backward_removes_what_moves_the_batch_statistics():
    x, gamma, beta, _ = bn_inputs(2)
    # An upstream gradient that only shifts or scales a column's x_hat has no effect on
    # the output at all: normalisation undoes any shift and any scale of x's columns.
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + EPS)
    dx, _, _ = mlp.batchnorm_backward(np.ones_like(x) + 3 * x_hat, x, gamma, beta)
    np.testing.assert_allclose(dx, 0.0, atol=1e-5 * np.abs(gamma).max())


def test_batchnorm_inference_uses_the_running_statistics():
    x, gamma, beta, _ = bn_inputs(3)
    running_mean, running_var = np.full((1, 4), 0.5), np.full((1, 4), 4.0)
    out = mlp.batchnorm_inference(x, gamma, beta, running_mean, running_var)
    np.testing.assert_allclose(out, gamma * (x - 0.5) / np.sqrt(4.0 + EPS) + beta, rtol=1e-13)


# ------------------------------------------------------------------- init_mlp

@pytest.mark.parametrize('layers', [[5, 3], [5, 4, 3], [5, 6, 4, 3]])
def test_init_mlp_follows_init_deep(layers):
    plain = mlp.init_mlp(layers, batchnorm=False, seed=7)
    reference = deep.init_deep(layers, seed=7)
    assert plain.keys() == reference.keys()
    for name in reference:
        np.testing.assert_array_equal(plain[name], reference[name])
    normed = mlp.init_mlp(layers, batchnorm=True, seed=7)
    L = len(layers) - 1
    expected = {f'W{l}' for l in range(1, L + 1)} | {f'b{L}'}
    for l in range(1, L):
        expected |= {f'gamma{l}', f'beta{l}', f'running_mean{l}', f'running_var{l}'}
    assert set(normed) == expected, 'hidden layers swap their bias for gamma, beta and running stats'
    for l in range(1, L):
        shape = (1, layers[l])
        for name, value in (('gamma', 1.0), ('beta', 0.0), ('running_mean', 0.0), ('running_var', 1.0)):
            assert normed[f'{name}{l}'].shape == shape
            assert np.all(normed[f'{name}{l}'] == value), f'{name}{l}'
    for l in range(1, L + 1):
        np.testing.assert_array_equal(normed[f'W{l}'], reference[f'W{l}'])


# ------------------------------------------------------------ mlp_loss_and_grads

def mlp_case(seed, layers, batchnorm, act):
    """Inputs, labels and perturbed params whose relu inputs stay clear of 0."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        X, y = rng.standard_normal((8, layers[0])), rng.integers(0, layers[-1], 8)
        params = mlp.init_mlp(layers, batchnorm, seed=int(rng.integers(1000)))
        for name in params:
            if name[0] in 'bg':              # biases, betas and gammas away from their init
                params[name] = params[name] + rng.standard_normal(params[name].shape) * 0.3
        _, _, pre_activations, _ = naive_mlp(X, y, params, act)
        if act != 'relu' or all(np.min(np.abs(z)) > KINK for z in pre_activations):
            return X, y, params
    raise AssertionError('no network clear of the relu kink')


CASES = [(layers, batchnorm, keep_prob, reg)
         for layers in ([4, 5, 3], [4, 6, 5, 3], [3, 5, 4, 6, 2])
         for batchnorm in (True, False)
         for keep_prob in (1.0, 0.6)
         for reg in (0.0, 0.1)]


@pytest.mark.parametrize('layers, batchnorm, keep_prob, reg', CASES, ids=str)
@pytest.mark.parametrize('act', ['relu', 'tanh'])
def test_mlp_loss_and_grads(layers, batchnorm, keep_prob, reg, act):
    X, y, params = mlp_case(len(layers), layers, batchnorm, act)
    loss, grads = mlp.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, seed=5)
    assert isinstance(loss, float)
    # The same masks as the recipe: one default_rng(seed), layer after layer.
    assert np.isclose(loss, naive_mlp(X, y, params, act, reg, keep_prob, seed=5)[0], rtol=1e-12)
    learnable = {name: p for name, p in params.items() if not name.startswith('running_')}
    assert grads.keys() == learnable.keys()
    numeric = numerical_gradients(lambda: mlp.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, 5)[0],
                                  learnable)
    for name in learnable:
        assert grads[name].shape == params[name].shape, name
        assert relative_error(grads[name], numeric[name]) < TOLERANCE, name


def test_mlp_dropout_masks_change_with_the_seed_only():
    X, y, params = mlp_case(0, [4, 6, 5, 3], True, 'tanh')
    first = mlp.mlp_loss_and_grads(X, y, params, 'tanh', keep_prob=0.5, seed=1)[0]
    assert first == mlp.mlp_loss_and_grads(X, y, params, 'tanh', keep_prob=0.5, seed=1)[0]
    assert first != mlp.mlp_loss_and_grads(X, y, params, 'tanh', keep_prob=0.5, seed=2)[0]


def test_mlp_predict_runs_in_inference_mode():
    X, y, params = mlp_case(1, [4, 6, 5, 3], True, 'tanh')
    rng = np.random.default_rng(2)
    for l in (1, 2):
        params[f'running_mean{l}'] = rng.standard_normal(params[f'running_mean{l}'].shape)
        params[f'running_var{l}'] = rng.random(params[f'running_var{l}'].shape) + 0.5
    X = rng.standard_normal((50, 4))
    labels = mlp.mlp_predict(X, params, 'tanh')
    _, scores, _, _ = naive_mlp(X, y, params, 'tanh', training=False)
    assert labels.shape == (50,) and np.issubdtype(labels.dtype, np.integer)
    np.testing.assert_array_equal(labels, scores.argmax(axis=1))
    # One sample alone is classified as it is in a batch: no batch statistics at test time.
    np.testing.assert_array_equal([mlp.mlp_predict(X[i:i + 1], params, 'tanh')[0] for i in range(5)],
                                  labels[:5])


# -------------------------------------------------------------------- mlp_fit

def replay_mlp_fit(X, y, layers, epsilon, momentum, reg, batchnorm, epochs, batch_size, seed, act='relu'):
    """mlp_fit without dropout, from its recipe, with the batch statistics of naive_mlp."""
    params = mlp.init_mlp(layers, batchnorm, seed)
    learnable = [name for name in params if not name.startswith('running_')]
    velocity = {name: np.zeros_like(params[name]) for name in learnable}
    shuffle, losses = np.random.default_rng(seed), []
    for _ in range(epochs):
        order = shuffle.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            *_, statistics = naive_mlp(X[batch], y[batch], params, act)
            loss, grads = mlp.mlp_loss_and_grads(X[batch], y[batch], params, act, reg)
            losses.append(loss)
            new, velocity = two_layer.momentum_step({n: params[n] for n in learnable}, grads,
                                                    velocity, epsilon, momentum)
            params.update(new)
            for l, (mean, var) in statistics.items():
                params[f'running_mean{l}'] = 0.9 * params[f'running_mean{l}'] + 0.1 * mean
                params[f'running_var{l}'] = 0.9 * params[f'running_var{l}'] + 0.1 * var
    return params, losses


@pytest.mark.parametrize('batchnorm', [True, False])
def test_mlp_fit_replays_its_recipe(batchnorm):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((45, 5)), rng.integers(0, 3, 45)
    layers, kwargs = [5, 7, 6, 3], dict(epsilon=0.1, momentum=0.8, reg_lambda=0.01, batchnorm=batchnorm,
                                         num_epochs=3, batch_size=16, seed=4)
    params, history = mlp.mlp_fit(X, y, layers, **kwargs)
    expected, losses = replay_mlp_fit(X, y, layers, 0.1, 0.8, 0.01, batchnorm, 3, 16, 4)
    np.testing.assert_allclose(history['loss'], losses, rtol=1e-10)
    assert params.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose(params[name], expected[name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_running_statistics_use_the_batch_statistics_from_before_the_step():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((30, 4)) * 2 + 1, rng.integers(0, 3, 30)
    params, _ = mlp.mlp_fit(X, y, [4, 6, 3], epsilon=0.5, num_epochs=1, batch_size=30, seed=6)
    h = X @ mlp.init_mlp([4, 6, 3], seed=6)['W1']      # the weights the single step started from
    np.testing.assert_allclose(params['running_mean1'], 0.1 * h.mean(axis=0, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(params['running_var1'], 0.9 + 0.1 * h.var(axis=0, keepdims=True), rtol=1e-10)


def test_mlp_fit_history():
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((50, 4)), rng.integers(0, 3, 50)
    X_val, y_val = rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
    params, history = mlp.mlp_fit(X, y, [4, 8, 3], keep_prob=0.7, num_epochs=4, batch_size=16,
                                  X_val=X_val, y_val=y_val)
    assert len(history['loss']) == 4 * 4 and np.all(np.isfinite(history['loss']))
    assert len(history['train_accuracy']) == len(history['val_accuracy']) == 4
    assert history['train_accuracy'][-1] == np.mean(mlp.mlp_predict(X, params) == y)
    assert history['val_accuracy'][-1] == np.mean(mlp.mlp_predict(X_val, params) == y_val)
    _, without = mlp.mlp_fit(X, y, [4, 8, 3], keep_prob=0.7, num_epochs=4, batch_size=16)
    assert without['val_accuracy'] == [] and without['loss'] == history['loss']


@pytest.mark.parametrize('missing', ['X_val', 'y_val'])
def test_mlp_fit_wants_both_validation_arrays_or_neither(missing):
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    given = {'X_val': X, 'y_val': y}
    del given[missing]
    with pytest.raises(ValueError):
        mlp.mlp_fit(X, y, [3, 4, 2], num_epochs=1, **given)


def test_mlp_fit_with_dropout_is_reproducible_and_differs_without():
    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((40, 4)), rng.integers(0, 3, 40)
    kwargs = dict(num_epochs=2, batch_size=16, seed=2)
    first, history = mlp.mlp_fit(X, y, [4, 8, 3], keep_prob=0.5, **kwargs)
    again, repeat = mlp.mlp_fit(X, y, [4, 8, 3], keep_prob=0.5, **kwargs)
    assert history == repeat and all(np.array_equal(first[k], again[k]) for k in first)
    _, no_dropout = mlp.mlp_fit(X, y, [4, 8, 3], keep_prob=1.0, **kwargs)
    assert no_dropout['loss'][0] != history['loss'][0]


def test_mlp_with_batchnorm_and_dropout_learns_the_digits():
    task = TASKS['mlp digits']
    assert task.fit['keep_prob'] < 1 and task.fit['batchnorm']
    accuracies = []
    for seed in range(3):
        accuracy, losses = tasks.evaluate(task, tasks.reference(), seed)
        assert losses[-1] < losses[0]
        accuracies.append(accuracy)
    assert np.mean(accuracies) >= 0.95, accuracies


# -------------------------------------------------------------- part 8: tuning

def test_tuning_task_splits():
    X_train, y_train, X_val, y_val = data.load_tuning_task(seed=3)
    X_test, y_test = data.load_tuning_test(seed=3)
    sizes = data.TUNING_SPLIT_SIZES
    for X, y, n in ((X_train, y_train, sizes['train']), (X_val, y_val, sizes['val']),
                    (X_test, y_test, sizes['test'])):
        assert X.shape == (n, 3) and X.dtype == np.float64
        assert y.shape == (n,) and y.dtype == np.int64
        assert abs(np.bincount(y, minlength=4) - n / 4).max() <= 1, 'stratified, four equal classes'
    rows = {tuple(x) for X in (X_train, X_val, X_test) for x in X}
    assert len(rows) == sum(sizes.values()), 'the three splits are disjoint'
    # The label is the shell: it grows with the distance to the origin.
    radius = np.linalg.norm(X_train, axis=1)
    assert np.all(np.diff([radius[y_train == c].max() for c in range(4)]) > 0)
    again = data.load_tuning_task(seed=3)
    np.testing.assert_array_equal(again[0], X_train)
    assert not np.array_equal(data.load_tuning_task(seed=4)[0], X_train)


@pytest.mark.parametrize('over, words', [
    (dict(num_epochs=400, hidden_sizes=[128]), 'num_epochs * N_train * weights'),
    (dict(num_epochs=100, batch_size=16), 'steps'),
    (dict(hidden_sizes=[8, 8, 8, 8]), 'hidden layers'),
    (dict(hidden_sizes=[257]), 'units per layer'),
    (dict(learning_rate=0.1), "'learning_rate' is not one of the arguments"),
    (dict(keep_prob=0.0), 'keep_prob = 0.0: it must be a number in (0, 1]'),
    (['relu'], 'must return a dict')])
def test_the_tuning_rules_name_what_is_broken(over, words):
    problems = tasks.tuning_problems(over, 3, 4, data.TUNING_SPLIT_SIZES['train'])
    assert problems and any(words in problem for problem in problems), problems


def test_tuned_hyperparameters_fit_the_budget_and_beat_the_defaults():
    tuned = mlp.tuned_hyperparameters()
    assert tasks.tuning_problems(tuned, 3, 4, data.TUNING_SPLIT_SIZES['train']) == []
    assert tasks.tuning_problems({}, 3, 4, data.TUNING_SPLIT_SIZES['train']) == []
    for seed in range(2):
        default_accuracy, _ = tasks.evaluate(TASKS['tuning'], tasks.reference(), seed, {})
        tuned_accuracy, _ = tasks.evaluate(TASKS['tuning'], tasks.reference(), seed, tuned)
        assert tuned_accuracy >= 0.92 and tuned_accuracy > default_accuracy + 0.05, (
            seed, default_accuracy, tuned_accuracy)


def test_the_reference_keeps_the_batch_norm_constants_of_the_spec():
    """The grader's replays and diagnoses read eps and the running statistics' momentum from
    the spec; the reference writes them for its readers."""
    assert (mlp.BN_EPS, mlp.RUNNING) == (BATCHNORM_EPS, RUNNING_MOMENTUM)
    assert all(DEFAULTS[name]['eps'] == mlp.BN_EPS
               for name in ('batchnorm_forward', 'batchnorm_backward', 'batchnorm_inference'))
