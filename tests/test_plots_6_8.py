"""The plot helpers of parts 6-8: filters, training histories, tuning grids."""

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.figure import Figure

from assignment import plots
from solution import mlp


def test_filters_are_tiled_one_column_per_filter_one_row_per_channel():
    W = np.random.default_rng(0).standard_normal((4, 2, 3, 3))
    fig = plots.plot_filters(W, title='first layer')
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.get_title() == 'first layer'
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (2 * 4 - 1, 4 * 4 - 1), 'k x k tiles with a one-pixel gap'
    np.testing.assert_array_equal(mosaic[4:7, 8:11], W[2, 1])
    low, high = ax.images[0].get_clim()
    assert low == -high == -np.abs(W).max(), 'one colour scale centred on 0'
    assert [t.get_text() for t in ax.get_xticklabels()] == ['0', '1', '2', '3']


def test_history_draws_accuracies_and_the_loss_per_epoch_of_every_run():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    runs = {}
    for label, batchnorm in (('batch norm', True), ('plain', False)):
        runs[label] = mlp.mlp_fit(X, y, [3, 5, 2], batchnorm=batchnorm, num_epochs=3, batch_size=16,
                                  X_val=X[:10], y_val=y[:10])[1]
    fig = plots.plot_history(runs, title='two runs')
    accuracy, loss = fig.axes[:2]
    assert [line.get_label() for line in accuracy.lines] == [
        'batch norm, training', 'batch norm, held-out', 'plain, training', 'plain, held-out']
    np.testing.assert_array_equal(accuracy.lines[1].get_ydata(), runs['batch norm']['val_accuracy'])
    # 40 samples in batches of 16: 3 steps per epoch, averaged into one point per epoch.
    expected = np.reshape(runs['plain']['loss'], (3, 3)).mean(axis=1)
    np.testing.assert_allclose(loss.lines[1].get_ydata(), expected)
    np.testing.assert_array_equal(loss.lines[1].get_xdata(), [1, 2, 3])


@pytest.mark.parametrize('epochs', [1, 3])
def test_mlp_figure_counts_whole_epochs_and_calls_the_test_split_held_out(epochs):
    # The figure of `make plots`, from the reference trained for 1 or 3 epochs instead of 20.
    quick = SimpleNamespace(mlp_fit=lambda *args, **kwargs: mlp.mlp_fit(*args, **{**kwargs, 'num_epochs': epochs}))
    fig = plots.mlp_figure(quick)
    fig.draw_without_rendering()
    accuracy, loss = fig.axes[:2]
    for ax in (accuracy, loss):
        labels = [label.get_text().replace('\N{MINUS SIGN}', '-') for label in ax.get_xticklabels()]
        assert all(label.lstrip('-').isdigit() for label in labels), labels
        assert {str(epoch) for epoch in range(1, epochs + 1)} <= set(labels), labels
    legend = [text.get_text() for text in accuracy.get_legend().get_texts()]
    assert legend == [f'{run}, {split}' for run in ('plain', 'batch norm', 'batch norm + dropout')
                      for split in ('training', 'held-out')]


def test_history_of_a_single_run_without_validation():
    history = {'loss': [3.0, 2.0, 1.0, 0.5], 'train_accuracy': [0.5, 0.75], 'val_accuracy': []}
    fig = plots.plot_history(history)
    accuracy, loss = fig.axes[:2]
    assert len(accuracy.lines) == 1 and accuracy.lines[0].get_label() == 'training'
    np.testing.assert_allclose(loss.lines[0].get_ydata(), [2.5, 0.75])


def test_tuning_grid_writes_every_accuracy_and_marks_the_best():
    accuracy = np.array([[0.80, 0.85, 0.90], [0.88, 0.95, 0.70]])
    fig = plots.plot_tuning_grid([0.01, 0.1], [10, 30, 100], accuracy, name_a='epsilon',
                                 name_b='num_epochs')
    ax = fig.axes[0]
    texts = {t.get_text(): t for t in ax.texts}
    assert len(ax.texts) == 6 and set(texts) == {f'{v:.3f}' for v in accuracy.ravel()}
    assert texts['0.950'].get_fontweight() == 'bold'
    assert ax.get_xlabel() == 'num_epochs' and ax.get_ylabel() == 'epsilon'
    assert [t.get_text() for t in ax.get_yticklabels()] == ['0.01', '0.1']


def test_tuning_grid_rejects_a_transposed_table():
    with pytest.raises(ValueError, match='one row per value of epsilon'):
        plots.plot_tuning_grid([0.01, 0.1], [10, 30, 100], np.zeros((3, 2)), name_a='epsilon')
