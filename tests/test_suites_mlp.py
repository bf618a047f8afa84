"""The suites of Parts 7 and 8 themselves: their expectations are up to date, the grader's own
network and replay agree with the reference, the public files give nothing away and import
nothing that computes an answer, the rubric adds up, and the public tuning test works in a
student's copy of the grader, where the reference is not."""

import ast
import sys

import numpy as np
import pytest

from grader import tasks
from grader.engine import grading
from grader.spec import SPEC, TASKS, THRESHOLDS
from grader.suites.hidden import mlp_network as net
from grader.suites.hidden import mlp_training
from grader.suites.public import expectations, mlp_cases, mlp_checks
from grader.suites.public.schedules import epoch_orders
from solution import mlp
from tests.submissions import ROOT, build, failed
from tools import expected_mlp, stubgen

SUITES = ROOT / 'grader' / 'suites'
PUBLIC = [SUITES / 'public' / name for name in ('mlp_cases.py', 'mlp_checks.py', 'mlp_tuning.py', 'test_mlp.py',
                                                'test_tuning.py')]
SHIPPED = ('grader.engine', 'grader.spec', 'grader.tasks', 'grader.suites.public')
HIDDEN = [SUITES / 'hidden' / name for name in ('test_mlp_layers.py', 'test_mlp_network.py', 'test_tuning.py')]


def test_expected_mlp_json_is_up_to_date():
    assert expected_mlp.main(['--check']) == 0


def test_public_files_hold_no_solution_line_and_no_hidden_test():
    secret = stubgen.secret_lines(ROOT / 'solution')
    hidden_tests = {line.strip() for path in HIDDEN for line in path.read_text().splitlines()
                    if line.startswith('def test_')}
    for path in PUBLIC:
        text = path.read_text()
        lines = {line.strip() for line in text.splitlines()}
        assert not lines & secret, (path.name, sorted(lines & secret))
        assert not lines & hidden_tests, (path.name, sorted(lines & hidden_tests))
        assert 'from solution' not in text and 'import solution' not in text, path.name


def test_the_public_files_import_only_what_is_shipped():
    """Nothing a public test of Parts 7 and 8 imports computes an answer: grader/suites/*.py is the hidden suite's."""
    for path in PUBLIC:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module if node.level == 0 else f'grader.suites.public.{node.module}'
                modules = [f'{module}.{alias.name}' for alias in node.names] if module == 'grader' else [module]
                assert all(name in ('numpy', 'pytest') or name.startswith(SHIPPED) for name in modules), (
                    path.name, modules)
            elif isinstance(node, ast.Import):
                assert all(alias.name in ('numpy', 'pytest', 'math') for alias in node.names), path.name


def test_the_public_fit_check_follows_the_reference_and_its_own_replay():
    """The stored trajectory is the replay of the contract's update rule with the reference's
    mlp_loss_and_grads, on the stored batches, from the stored start."""
    data, fit = mlp_cases.fit_data(), mlp_cases.FIT
    reference = expectations.expected('mlp_fit', mlp_cases.EXPECTED_FILE)
    orders = epoch_orders(len(data['X']), fit['num_epochs'], fit['seed'])
    replayed = mlp_checks.own_replay(reference['start'], lambda X, y, p: mlp.mlp_loss_and_grads(X, y, p, 'tanh', 0.01),
                                     data['X'], data['y'], fit, orders)
    np.testing.assert_allclose(replayed[1], reference['losses'], rtol=1e-12)
    for name, value in replayed[0].items():
        np.testing.assert_allclose(value, reference['params'][name], rtol=1e-10, atol=1e-14)
    start = {**reference['start'], 'running_var1': np.zeros((1, 5))}
    got = mlp.mlp_fit(data['X'], data['y'], mlp_cases.LAYERS, **fit)
    shifted = mlp_checks.shifted(reference['params'], start, reference['start'], len(reference['losses']))
    np.testing.assert_allclose(shifted['running_var1'], got[0]['running_var1'] - 0.9 ** 6, rtol=1e-12)


def random_net(rng, layers, batchnorm):
    params = mlp.init_mlp(layers, batchnorm, seed=int(rng.integers(1000)))
    for name in params:
        if name[0] in 'bgr':            # biases, betas, gammas and running statistics off their start
            params[name] = params[name] + np.abs(rng.standard_normal(params[name].shape)) * 0.5
    return rng.standard_normal((9, layers[0])) * 2 + 1, rng.integers(0, layers[-1], 9), params


@pytest.mark.parametrize('batchnorm', [True, False])
def test_the_graders_network_is_the_contracts(batchnorm):
    rng = np.random.default_rng(0)
    layers = [4, 6, 5, 3]
    X, y, params = random_net(rng, layers, batchnorm)
    for act in ('relu', 'tanh', 'sigmoid'):
        for keep_prob, reg in ((1.0, 0.0), (0.6, 0.2)):
            drop = net.dropout(keep_prob, 4) if keep_prob < 1 else None
            assert np.isclose(net.loss(X, y, params, act, reg, drop),
                              mlp.mlp_loss_and_grads(X, y, params, act, reg, keep_prob, 4)[0], rtol=1e-12)
        np.testing.assert_array_equal(net.labels(X, params, act), mlp.mlp_predict(X, params, act))
    statistics = net.forward(X, params, 'tanh')[1]
    reference = mlp.mlp_forward_backward(X, y, params, 'tanh')[2]
    assert sorted(statistics) == sorted(int(key[-1]) for key in reference if key.startswith('mean'))
    for l, (mean, var) in statistics.items():
        np.testing.assert_allclose(mean, reference[f'mean{l}'], rtol=1e-12)
        np.testing.assert_allclose(var, reference[f'var{l}'], rtol=1e-12)
    for layers_, normed in (([4, 6, 5, 3], True), ([4, 6, 5, 3], False), ([3, 2], True)):
        want = mlp.init_mlp(layers_, normed, 11)
        got = mlp_training.contract_init(layers_, normed, 11)
        assert set(got) == set(want)
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-13, atol=0)


def test_the_graders_masks_of_known_mistakes_differ_from_the_contracts():
    rng = np.random.default_rng(1)
    X, y, params = random_net(rng, [4, 6, 5, 3], True)
    right = net.loss(X, y, params, 'tanh', 0.0, net.dropout(0.6, 3))
    for kind in ('unscaled', 'reversed', 'per layer'):
        assert not np.isclose(net.loss(X, y, params, 'tanh', 0.0, net.dropout(0.6, 3, kind)), right), kind


@pytest.mark.parametrize('batchnorm', [True, False])
def test_the_replay_is_the_reference_fit(batchnorm):
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((23, 4)) * 3 + 1, rng.integers(0, 3, 23)
    layers = [4, 6, 5, 3]
    fit = dict(actFun_type='relu', epsilon=0.1, momentum=0.8, reg_lambda=0.01, keep_prob=1.0, batchnorm=batchnorm,
               num_epochs=3, batch_size=7, seed=9)
    params, history = mlp.mlp_fit(X, y, layers, **fit)
    replayed = mlp_training.replay(mlp.init_mlp(layers, batchnorm, 9), X, y,
                                   lambda X_, y_, p: mlp.mlp_loss_and_grads(X_, y_, p, 'relu', 0.01), fit, layers)
    np.testing.assert_allclose(replayed.losses, history['loss'], rtol=1e-12)
    assert replayed.params.keys() == params.keys()
    for name in params:
        np.testing.assert_allclose(replayed.params[name], params[name], rtol=1e-10, atol=1e-14)
    assert history['train_accuracy'] == [float(np.mean(mlp.mlp_predict(X, p, 'relu') == y)) for p in replayed.epochs]
    if batchnorm:                                    # every known wrong rule gives other statistics
        for why, running in replayed.running.items():
            assert any(not np.allclose(running[name], params[name]) for name in running), why


def test_the_numerical_step_is_the_reference_gradient():
    rng = np.random.default_rng(3)
    X, y, params = random_net(rng, [3, 5, 4, 3], True)
    loss, grads = net.numerical_step('tanh', 0.05)(X, y, params)
    want_loss, want = mlp.mlp_loss_and_grads(X, y, params, 'tanh', 0.05)
    assert np.isclose(loss, want_loss, rtol=1e-12) and grads.keys() == want.keys()
    for name in want:
        np.testing.assert_allclose(grads[name], want[name], rtol=1e-6, atol=1e-9)


def test_the_rubric_adds_up_and_a_fair_share_is_public():
    """Part 7's public share is fair; Part 8's public test is its rules alone, since the accuracy
    a choice reaches is measured by training the reference, in the hidden suite."""
    public = grading.grade(ROOT / 'solution', SPEC.offering([7, 8]), 'public')
    assert public['score'] == public['extra_data']['max_score']
    points = {}
    for test in public['tests']:
        points[test['extra_data']['part']] = points.get(test['extra_data']['part'], 0) + test['max_score']
    for part in SPEC.parts:
        if part.number == 7:
            assert 0.4 <= points[part.name] / part.points <= 0.5, (part.name, points[part.name])
        if part.number == 8:
            assert points[part.name] == 1.0, points[part.name]
    assert 'leaderboard' not in public or not public['leaderboard']


def test_the_hidden_tuning_tests_train_the_reference_and_fill_the_leaderboard():
    every = grading.grade(ROOT / 'solution', SPEC.offering([8]), 'all')
    assert every['score'] == every['extra_data']['max_score'] == 8.0
    assert every['leaderboard'] == [{'name': 'held-out accuracy', 'value': pytest.approx(0.948, abs=0.02),
                                      'order': 'desc'}]


def test_the_public_tuning_test_needs_no_reference(tmp_path, monkeypatch):
    """A student's copy of the grader has no solution package: the public tuning test checks the
    rules all the same, and an untuned choice keeps them."""
    monkeypatch.setitem(sys.modules, f'{SPEC.solution}.mlp', None)
    tuned = grading.grade(build(tmp_path / 'tuned'), SPEC.offering([8]), 'public')
    assert tuned['score'] == 1.0 and not tuned.get('leaderboard')
    untuned = build(tmp_path / 'untuned')
    text = (untuned / 'mlp.py').read_text()
    start = text.index("    return dict(hidden_sizes=[128], actFun_type='relu'")
    (untuned / 'mlp.py').write_text(text[:start] + '    return {}\n' + text[text.index('    # END SOLUTION', start):])
    assert grading.grade(untuned, SPEC.offering([8]), 'public')['score'] == 1.0
    broken = build(tmp_path / 'broken')
    text = (broken / 'mlp.py').read_text()
    (broken / 'mlp.py').write_text(text[:start] + "    return {'learning_rate': 0.1}\n"
                                   + text[text.index('    # END SOLUTION', start):])
    lost = failed(grading.grade(broken, SPEC.offering([8]), 'public'))
    assert [test['max_score'] for test in lost] == [1.0]
    assert "'learning_rate' is not one of the arguments" in lost[0]['output'], lost[0]['output']


def test_the_tuning_threshold_separates_the_defaults_from_a_tuned_choice():
    """The public seed: the defaults stay below the threshold and the reference's choice clears it."""
    threshold = THRESHOLDS['tuning']['threshold']
    assert tasks.evaluate(TASKS['tuning'], tasks.reference(), 0, {})[0] < threshold - 0.02
    assert tasks.evaluate(TASKS['tuning'], tasks.reference(), 0, mlp.tuned_hyperparameters())[0] > threshold + 0.02


def test_the_suites_are_files_of_one_part_each():
    from tools.release import suite_parts
    for path in [SUITES / 'public' / 'test_mlp.py', SUITES / 'hidden' / 'test_mlp_layers.py',
                 SUITES / 'hidden' / 'test_mlp_network.py']:
        assert suite_parts(path, SPEC) == {7}, path
    for path in [SUITES / 'public' / 'test_tuning.py', SUITES / 'hidden' / 'test_tuning.py']:
        assert suite_parts(path, SPEC) == {8}, path
