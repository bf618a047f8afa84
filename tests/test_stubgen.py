"""The student skeleton and the handout's generated parts are exactly what tools.stubgen makes
of solution/ and the spec, and leak nothing."""

import dataclasses
import importlib
import inspect
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader.engine import spec as specs
from grader.spec import SPEC
from tools import stubgen

ROOT = Path(__file__).resolve().parent.parent


def test_the_skeleton_handout_and_notebook_match_the_generator():
    for path, text in stubgen.generate(SPEC).items():
        assert (ROOT / path).read_text() == text, f'{path} has drifted from solution/ or the spec: run `make assignment`'


def test_the_second_assignments_skeleton_matches_the_generator():
    spec = specs.load(ROOT / 'tests' / 'least_squares')
    for path, text in stubgen.stubs(spec).items():
        assert (spec.root / path).read_text() == text, path


def test_check_mode_reports_drift(tmp_path, capsys):
    root = tmp_path / 'copy'
    shutil.copytree(ROOT / 'tests' / 'least_squares', root)
    (root / 'skeleton' / 'regression.py').write_text('# edited by hand\n')
    spec = dataclasses.replace(specs.load(ROOT / 'tests' / 'least_squares'), root=root)
    assert [path.name for path, text in stubgen.stubs(spec).items() if (root / path).read_text() != text] == [
        'regression.py']
    assert stubgen.main(['--check', '--assignment', str(ROOT / 'tests' / 'least_squares')]) == 0
    assert stubgen.main(['--check']) == 0
    assert capsys.readouterr().err == ''


def test_no_solution_line_leaks_into_assignment():
    secret = stubgen.secret_lines(ROOT / 'solution')
    assert len(secret) > 50, 'the solution blocks should hold the reference code'
    for path in sorted((ROOT / 'assignment').rglob('*')):
        if path.is_file() and path.suffix in {'.py', '.md', '.ipynb', '.txt'}:
            leaked = secret & {line.strip() for line in path.read_text().splitlines()}
            assert not leaked, f'{path.relative_to(ROOT)} contains solution lines: {sorted(leaked)}'


def test_every_block_becomes_a_stub_below_its_hint():
    source = (
        'def f(x):\n'
        '    """Doc."""\n'
        '    # TODO: twice x,\n'
        '    #   in one line\n'
        '    # END TODO\n'
        '    # BEGIN SOLUTION\n'
        '    y = 2 * x\n'
        '    return y\n'
        '    # END SOLUTION\n'
    )
    assert stubgen.stub_source(source) == (
        'def f(x):\n'
        '    """Doc."""\n'
        '    # TODO: twice x,\n'
        '    #   in one line\n'
        '    # END TODO\n'
        '    raise NotImplementedError\n'
    )
    assert stubgen.solution_lines(source) == ['    y = 2 * x', '    return y']


HINT = '    # TODO: a\n    # END TODO\n'


@pytest.mark.parametrize('source, message', [
    (HINT + '    # BEGIN SOLUTION\n    x = 1\n', 'never closed'),
    ('    # END SOLUTION\n', 'stray'),
    ('    # BEGIN SOLUTION\n    # END SOLUTION\n', 'must follow its hint'),
    (HINT + '    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    # END SOLUTION\n', 'cannot nest'),
])
def test_malformed_markers_are_refused(source, message):
    with pytest.raises(stubgen.MarkerError, match=message):
        stubgen.stub_source(source, 'm.py')


def _contract_functions():
    """(module, name, a call that reaches the stub) for every graded function."""
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    onehot, probs = np.eye(2)[y], np.full((4, 2), 0.5)
    W_h, b_h, W_o = np.ones((2, 3)), np.zeros((1, 3)), np.ones((3, 2))
    params = {'W1': W_h, 'b1': b_h, 'W2': W_o, 'b2': np.zeros((1, 2))}
    return [
        ('activations', 'relu', (X,)), ('activations', 'gradRelu', (X,)),
        ('activations', 'sigmoid', (X,)), ('activations', 'tanh', (X,)),
        ('activations', 'actFun', (X, 'tanh')), ('activations', 'diff_actFun', (X, 'tanh')),
        ('losses', 'softmax', (X,)), ('losses', 'averageCE', (onehot, probs)),
        ('losses', 'gradCE', (onehot, probs)),
        ('two_layer', 'compute', (X, W_h, b_h)), ('two_layer', 'dL_dW_o', (onehot, probs, X)),
        ('two_layer', 'dL_db_o', (onehot, probs)),
        ('two_layer', 'dL_dW_h', (onehot, probs, W_o, X, W_h, b_h)),
        ('two_layer', 'dL_db_h', (onehot, probs, W_o, X, W_h, b_h)),
        ('two_layer', 'init_params', (2, 3, 2)), ('two_layer', 'feedforward', (X, params)),
        ('two_layer', 'calculate_loss', (X, y, params)), ('two_layer', 'backprop', (X, y, params)),
        ('two_layer', 'predict', (X, params)),
        ('two_layer', 'momentum_step', (params, params, params, 0.1, 0.9)),
        ('two_layer', 'fit_model', (X, y, 3)),
        ('deep', 'init_deep', ([2, 3, 2],)), ('deep', 'deep_feedforward', (X, params)),
        ('deep', 'deep_loss', (X, y, params)), ('deep', 'deep_backprop', (X, y, params)),
        ('deep', 'deep_predict', (X, params)), ('deep', 'deep_fit', (X, y, [2, 3, 2])),
        *_cnn_and_mlp_functions(X, y),
    ]


def _cnn_and_mlp_functions(X, y):
    """(module, name, a call that reaches the stub) for cnn.py and mlp.py."""
    images, W, b = np.ones((4, 1, 4, 4)), np.ones((2, 1, 3, 3)), np.zeros(2)
    gamma, beta = np.ones((1, 2)), np.zeros((1, 2))
    return [
        ('cnn', 'im2col', (images, 3)), ('cnn', 'col2im', (np.ones((16, 9)), images.shape, 3)),
        ('cnn', 'conv_forward', (images, W, b)), ('cnn', 'conv_backward', (np.ones((4, 2, 2, 2)), images, W, b)),
        ('cnn', 'maxpool_forward', (images,)), ('cnn', 'maxpool_backward', (np.ones((4, 1, 2, 2)), images)),
        ('cnn', 'init_cnn', ((1, 4, 4),)), ('cnn', 'cnn_forward', (images, {})),
        ('cnn', 'cnn_loss_and_grads', (images, y, {})), ('cnn', 'cnn_predict', (images, {})),
        ('cnn', 'cnn_fit', (images, y)),
        ('mlp', 'dropout_forward', (X, 0.5, 0)), ('mlp', 'dropout_backward', (X, X, 0.5)),
        ('mlp', 'batchnorm_forward', (X, gamma, beta)), ('mlp', 'batchnorm_backward', (X, X, gamma, beta)),
        ('mlp', 'batchnorm_inference', (X, gamma, beta, beta, gamma)), ('mlp', 'init_mlp', ([2, 3, 2],)),
        ('mlp', 'mlp_forward_backward', (X, y, {})), ('mlp', 'mlp_loss_and_grads', (X, y, {})),
        ('mlp', 'mlp_predict', (X, {})), ('mlp', 'mlp_fit', (X, y, [2, 3, 2])), ('mlp', 'tuned_hyperparameters', ()),
    ]


@pytest.mark.parametrize('module, name, args', _contract_functions(),
                         ids=lambda value: value if isinstance(value, str) else '')
def test_skeleton_function_raises_not_implemented(module, name, args):
    skeleton = importlib.import_module(f'assignment.{module}')
    reference = importlib.import_module(f'solution.{module}')
    assert inspect.signature(getattr(skeleton, name)) == inspect.signature(getattr(reference, name))
    with pytest.raises(NotImplementedError):
        getattr(skeleton, name)(*args)


def test_the_contract_list_is_complete():
    """Every public function of the reference is covered by the skeleton test above."""
    covered = {(module, name) for module, name, _ in _contract_functions()}
    helpers = {('two_layer', 'loss_and_grads'), ('deep', 'deep_loss_and_grads'), ('deep', 'num_layers'),
               ('cnn', 'output_size'), ('mlp', 'mlp_num_layers')}
    for module in (module.name for module in SPEC.modules):
        reference = importlib.import_module(f'solution.{module}')
        public = {(module, name) for name, value in vars(reference).items()
                  if inspect.isfunction(value) and value.__module__ == reference.__name__
                  and not name.startswith('_')}
        assert public - helpers <= covered, public - helpers - covered
