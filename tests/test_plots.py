"""`make plots` writes the handout's figures, and says so when the code is not written yet."""

import sys

import numpy as np
from matplotlib.figure import Figure

from assignment import plots
from solution import two_layer

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


def test_main_writes_every_figure(tmp_path, capsys, monkeypatch):
    package = tmp_path / 'quick'
    package.mkdir()
    (package / '__init__.py').write_text('')
    for name, source in QUICK.items():
        (package / f'{name}.py').write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / 'figures'
    assert plots.main(['--impl', 'quick', '--out', str(out)]) == 0
    assert {path.name for path in out.iterdir()} == FIGURES
    for name in FIGURES:
        assert (out / name).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert 'wrote' in capsys.readouterr().out
    for name in QUICK:
        sys.modules.pop(f'quick.{name}', None)


def test_main_on_the_skeleton_explains_instead_of_crashing(tmp_path, capsys):
    assert plots.main(['--impl', 'assignment', '--out', str(tmp_path)]) == 1
    assert 'incomplete' in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


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
