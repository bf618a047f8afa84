"""`make plots` writes the handout's figures: those whose functions work, and for each other one
the function that stops it."""

import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from assignment import plots
from solution import two_layer

ROOT = Path(__file__).resolve().parent.parent
FIGURES = {'moons_activations.png', 'moons_losses.png', 'moons_deep.png', 'circles.png', 'cnn.png', 'mlp.png',
           'tuning.png'}

# An implementation that is the reference with every training cut short: the figures are
# drawn exactly as from the reference, in seconds instead of a minute.
QUICK = {
    'two_layer': 'from solution.two_layer import *\nfrom solution import two_layer as _ref\n'
                 'def fit_model(*args, **kwargs):\n    return _ref.fit_model(*args, **{**kwargs, "num_passes": 20})\n',
    'deep': 'from solution.deep import *\nfrom solution import deep as _ref\n'
            'def deep_fit(*args, **kwargs):\n    return _ref.deep_fit(*args, **{**kwargs, "num_passes": 20})\n',
    'cnn': 'from solution.cnn import *\nfrom solution import cnn as _ref\n'
           'def cnn_fit(*args, **kwargs):\n    return _ref.cnn_fit(*args, **{**kwargs, "num_epochs": 1})\n',
    'mlp': 'from solution.mlp import *\nfrom solution import mlp as _ref\n'
           'def mlp_fit(*args, **kwargs):\n    return _ref.mlp_fit(*args, **{**kwargs, "num_epochs": 1})\n',
}


def package(tmp_path, monkeypatch, name, sources):
    """A package `name` in tmp_path with the modules {module: source}, importable until the
    test ends."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / '__init__.py').write_text('')
    for module, source in sources.items():
        (folder / f'{module}.py').write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in [*sources, None]:
        monkeypatch.delitem(sys.modules, f'{name}.{module}' if module else name, raising=False)
    return name


def written(out):
    return {path.name for path in out.iterdir()} if out.exists() else set()


def test_main_writes_every_figure(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(plots, 'HIDDEN_SIZES', (3,))      # one column of the moons grid: faster
    out = tmp_path / 'figures'
    assert plots.main(['--impl', package(tmp_path, monkeypatch, 'quick', QUICK), '--out', str(out)]) == 0
    assert written(out) == FIGURES
    for name in FIGURES:
        assert (out / name).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    outputs = capsys.readouterr()
    assert outputs.out.count('wrote') == len(FIGURES) and not outputs.err


def test_main_on_the_skeleton_names_what_stops_each_figure(tmp_path, capsys):
    assert plots.main(['--impl', 'assignment', '--out', str(tmp_path / 'figures')]) == 1
    assert not written(tmp_path / 'figures')
    assert capsys.readouterr().err.splitlines() == [
        'No figure drawn; what stops each one:',
        '  moons_activations.png  fit_model (two_layer.py) is not written yet',
        '  moons_losses.png       fit_model (two_layer.py) is not written yet',
        '  moons_deep.png         deep_fit (deep.py) is not written yet',
        '  circles.png            fit_model (two_layer.py) is not written yet',
        '  cnn.png                cnn_fit (cnn.py) is not written yet',
        '  mlp.png                mlp_fit (mlp.py) is not written yet',
        '  tuning.png             mlp_fit (mlp.py) is not written yet',
    ]


def test_main_draws_the_parts_that_work_and_names_what_stops_the_others(tmp_path, capsys, monkeypatch):
    # Parts 1-4 done (two_layer the reference's, training cut short), Parts 5-8 the skeleton's stubs.
    done = {name: (ROOT / 'solution' / f'{name}.py').read_text() for name in ('activations', 'losses')}
    stubs = {name: (ROOT / 'assignment' / f'{name}.py').read_text() for name in ('deep', 'cnn', 'mlp')}
    name = package(tmp_path, monkeypatch, 'parts_1_to_4', {**done, 'two_layer': QUICK['two_layer'], **stubs})
    monkeypatch.setattr(plots, 'HIDDEN_SIZES', (3,))      # one column of the moons grid: faster
    out = tmp_path / 'figures'
    assert plots.main(['--impl', name, '--out', str(out)]) == 0
    drawn = ['moons_activations.png', 'moons_losses.png', 'circles.png']
    assert written(out) == set(drawn)
    outputs = capsys.readouterr()
    assert outputs.out.splitlines() == [f'wrote {out / figure}' for figure in drawn]
    assert outputs.err.splitlines() == [
        'Not drawn yet; what stops each figure:',
        '  moons_deep.png  deep_fit (deep.py) is not written yet',
        '  cnn.png         cnn_fit (cnn.py) is not written yet',
        '  mlp.png         mlp_fit (mlp.py) is not written yet',
        '  tuning.png      mlp_fit (mlp.py) is not written yet',
    ]


BROKEN = {
    'deep': 'import numpy as np\n\n'
            'def deep_backprop(X, y, params):\n    return np.ones((2, 3)) @ np.ones((4, 5))\n\n'
            'def deep_fit(X, y, layer_sizes, **kwargs):\n    return None, deep_backprop(X, y, {})\n',
    'cnn': 'def cnn_fit(:\n',
    'mlp': 'def mlp_fit(*args, **kwargs):\n    raise ValueError("W1 has shape (3, 4)\\nexpected (2, 4)")\n',
}


def test_a_failing_function_is_named_with_the_first_line_of_its_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(plots, 'FIGURES', [figure for figure in plots.FIGURES if figure[1] in BROKEN])
    assert plots.main(['--impl', package(tmp_path, monkeypatch, 'broken', BROKEN), '--out', str(tmp_path)]) == 1
    heading, deep, cnn, *mlp = capsys.readouterr().err.splitlines()
    assert heading == 'No figure drawn; what stops each one:'
    # The innermost function of the submission the error passed through, not numpy's.
    assert deep.startswith('  moons_deep.png  deep_backprop (deep.py) raised ValueError: matmul')
    assert cnn == '  cnn.png         SyntaxError: invalid syntax (cnn.py, line 1)'
    assert mlp == ['  mlp.png         mlp_fit (mlp.py) raised ValueError: W1 has shape (3, 4)',
                   '  tuning.png      mlp_fit (mlp.py) raised ValueError: W1 has shape (3, 4)']


def test_main_leaves_out_the_parts_the_offering_leaves_out(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(plots, 'offered_modules', lambda: {'activations', 'losses', 'two_layer', 'deep'})
    assert plots.main(['--impl', 'assignment', '--out', str(tmp_path)]) == 1
    listed = [line.split()[0] for line in capsys.readouterr().err.splitlines()[1:]]
    assert listed == ['moons_activations.png', 'moons_losses.png', 'moons_deep.png', 'circles.png']


def test_an_impl_that_cannot_be_imported_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        plots.main(['--impl', 'no_such_package'])
    assert stop.value.code == 2 and "No module named 'no_such_package'" in capsys.readouterr().err


def test_decision_boundary_colours_the_plane_by_prediction():
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    y = np.array([0, 1])
    fig = plots.plot_decision_boundary(lambda Z: (Z[:, 0] > 0).astype(int), X, y, title='split at 0')
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert ax.get_title() == 'split at 0' and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.collections) >= 2, 'a filled contour and the scatter of the points'


def test_loss_plot_has_one_line_per_curve():
    params, losses = two_layer.fit_model(np.eye(2), np.array([0, 1]), 2, num_passes=20)
    fig = plots.plot_losses({'a': losses, 'b': losses / 2})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ['a', 'b']
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), losses)
    assert ax.get_xlabel() == 'pass' and ax.get_ylabel() == 'training loss'
    fig.draw_without_rendering()
    labels = [label.get_text().replace('\N{MINUS SIGN}', '-') for label in ax.get_xticklabels()]
    assert all(label.lstrip('-').isdigit() for label in labels), f'passes are whole numbers: {labels}'
