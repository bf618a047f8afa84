"""Plot helpers: decision boundaries of 2-D classifiers, loss curves, and for parts 6-8
CNN filters, training histories and tuning grids.

From Python (or from the notebook beside this file, as `from plots import ...`):

    from assignment.plots import plot_decision_boundary
    fig = plot_decision_boundary(lambda X: predict(X, params, 'tanh'), X, y)
    fig.savefig('boundary.png')

From the shell, `make plots` runs this module's main(), which trains the reference
(or, with SUBMISSION=assignment, your own code) on the grader's training tasks, with
their hyper-parameters, and writes the handout's figures:

    python -m assignment.plots --impl assignment --out figures

It draws every figure whose functions work and, for each other one, names the function
that stops it: the first one it needs that is not written yet or raised an error.
"""

import argparse
import importlib
import sys
import traceback
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

HIDDEN_SIZES = (3, 10, 50)      # the columns of the moons grid


def _axes(ax):
    """The given axes, or the axes of a new figure."""
    return ax if ax is not None else Figure(figsize=(5, 4), layout='constrained').subplots()


def _count_ticks(axis):
    """Ticks at whole numbers only, 1, 2 or 5 times a power of 10 apart: for passes, steps, epochs."""
    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10], min_n_ticks=1))


def plot_decision_boundary(predict, X, y, ax=None, title=None, resolution=300):
    """Colour the plane by predicted class and draw the data points on top.

    Inputs:
    - predict: function mapping points (M, 2) to integer labels (M,)
    - X: data points, (N, 2)
    - y: their labels, (N,)
    - ax: matplotlib axes to draw on; a new figure when None
    - title: axes title
    - resolution: grid points per side

    Returns:
    - the matplotlib Figure
    """
    ax = _axes(ax)
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    gx, gy = np.meshgrid(xs, ys)
    labels = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(gx.shape)
    levels = np.arange(max(labels.max(), y.max()) + 2) - 0.5
    ax.contourf(gx, gy, labels, levels=levels, cmap='coolwarm', alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap='coolwarm', edgecolors='k', linewidths=0.4, s=14)
    ax.set(xlabel='$x_1$', ylabel='$x_2$', title=title or 'Decision boundary', aspect='equal')
    return ax.figure


def plot_losses(curves, ax=None, title=None):
    """Training loss against the pass number.

    Inputs:
    - curves: {label: losses}, each losses a sequence with one loss per pass
    - ax: matplotlib axes to draw on; a new figure when None
    - title: axes title

    Returns:
    - the matplotlib Figure
    """
    ax = _axes(ax)
    for label, losses in curves.items():
        ax.plot(np.arange(len(losses)), losses, label=label)
    ax.set(xlabel='pass', ylabel='training loss', title=title or 'Training loss')
    _count_ticks(ax.xaxis)
    ax.legend()
    return ax.figure


def plot_filters(W, ax=None, title=None):
    """The filters of a convolution layer as small images, side by side.

    Column f shows filter f; with several input channels, row c shows its channel c.
    One colour scale, centred on 0, serves every filter: red weights add to the
    output where the image is bright, blue ones subtract.

    Inputs:
    - W: filters, (F, C, k, k), e.g. params['W1'] of the CNN
    - ax: matplotlib axes to draw on; a new figure when None
    - title: axes title

    Returns:
    - the matplotlib Figure
    """
    W = np.asarray(W, dtype=np.float64)
    F, C, k, _ = W.shape
    if ax is None:
        ax = Figure(figsize=(1.2 * F + 1, 1.2 * C + 0.8), layout='constrained').subplots()
    # One mosaic with a one-pixel gap (NaN, drawn blank) between the filters.
    mosaic = np.full((C * (k + 1) - 1, F * (k + 1) - 1), np.nan)
    for f in range(F):
        for c in range(C):
            mosaic[c * (k + 1):c * (k + 1) + k, f * (k + 1):f * (k + 1) + k] = W[f, c]
    limit = np.abs(W).max() or 1.0
    image = ax.imshow(mosaic, cmap='RdBu_r', vmin=-limit, vmax=limit)
    ax.set_xticks(np.arange(F) * (k + 1) + (k - 1) / 2, [str(f) for f in range(F)])
    ax.set_yticks(np.arange(C) * (k + 1) + (k - 1) / 2, [str(c) for c in range(C)])
    ax.set(xlabel='filter', ylabel='input channel', title=title or f'{F} filters of size {k}x{k}')
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label='weight')
    return ax.figure


def plot_history(runs, axes=None, title=None):
    """Accuracy and loss per epoch of one or several mlp_fit runs.

    Left: training accuracy (solid) and held-out accuracy (dashed: on the X_val, y_val
    given to mlp_fit) after every epoch. Right: the mean batch loss of every epoch.
    One colour per run.

    Inputs:
    - runs: one history dict as mlp_fit returns it, or {label: history} for several
    - axes: a pair of matplotlib axes to draw on; a new figure when None
    - title: figure title (suptitle), only used for a new figure

    Returns:
    - the matplotlib Figure
    """
    if 'loss' in runs:                      # a single history, not {label: history}
        runs = {'': runs}
    if axes is None:
        fig = Figure(figsize=(11, 4), layout='constrained')
        axes = fig.subplots(1, 2)
        fig.suptitle(title or 'Training history')
    left, right = axes
    for index, (label, history) in enumerate(runs.items()):
        colour = f'C{index}'
        epochs = np.arange(1, len(history['train_accuracy']) + 1)
        name = f'{label}, ' if label else ''
        left.plot(epochs, history['train_accuracy'], color=colour, label=f'{name}training')
        if len(history['val_accuracy']):
            left.plot(epochs, history['val_accuracy'], color=colour, linestyle='--',
                      label=f'{name}held-out')
        # Steps per epoch: the loss has one entry per step, the accuracies one per epoch.
        steps = len(history['loss']) // max(len(epochs), 1)
        losses = np.asarray(history['loss'][:steps * len(epochs)], dtype=np.float64)
        right.plot(epochs, losses.reshape(len(epochs), steps).mean(axis=1), color=colour,
                   label=label or None)
    left.set(xlabel='epoch', ylabel='accuracy', title='Accuracy after each epoch')
    left.legend(fontsize='small')
    right.set(xlabel='epoch', ylabel='mean batch loss', title='Training loss per epoch')
    for ax in axes:
        _count_ticks(ax.xaxis)
    if any(runs):
        right.legend(fontsize='small')
    return left.figure


def plot_tuning_grid(values_a, values_b, accuracy, ax=None, name_a='a', name_b='b', title=None):
    """Validation accuracy over a grid of two hyper-parameters, as a heatmap with the numbers.

    Inputs:
    - values_a: the values of the first hyper-parameter, one per row (len A)
    - values_b: the values of the second, one per column (len B)
    - accuracy: (A, B), accuracy[i, j] the accuracy with values_a[i] and values_b[j]
    - ax: matplotlib axes to draw on; a new figure when None
    - name_a, name_b: the two hyper-parameters' names, for the axis labels
    - title: axes title

    Returns:
    - the matplotlib Figure
    """
    accuracy = np.asarray(accuracy, dtype=np.float64)
    if accuracy.shape != (len(values_a), len(values_b)):
        raise ValueError(f'accuracy has shape {accuracy.shape}, expected '
                         f'({len(values_a)}, {len(values_b)}): one row per value of {name_a}')
    if ax is None:
        ax = Figure(figsize=(1.1 * len(values_b) + 2.5, 0.7 * len(values_a) + 1.8),
                    layout='constrained').subplots()
    image = ax.imshow(accuracy, cmap='viridis', aspect='auto')
    best = np.unravel_index(np.nanargmax(accuracy), accuracy.shape)
    middle = np.nanmean(accuracy)
    for (i, j), value in np.ndenumerate(accuracy):
        # Dark text on the bright cells, light text on the dark ones; the best in bold.
        ax.text(j, i, f'{value:.3f}', ha='center', va='center', fontsize='small',
                color='black' if value > middle else 'white',
                fontweight='bold' if (i, j) == best else 'normal')
    ax.set_xticks(np.arange(len(values_b)), [str(v) for v in values_b])
    ax.set_yticks(np.arange(len(values_a)), [str(v) for v in values_a])
    ax.set(xlabel=name_b, ylabel=name_a, title=title or 'Validation accuracy')
    ax.figure.colorbar(image, ax=ax, label='accuracy')
    return ax.figure


def _accuracy(predict, X, y):
    return float(np.mean(np.asarray(predict(X)) == y))


def task_split(name):
    """(task, (X_train, X_test, y_train, y_test)): a training task of the grader's spec and
    its data split of seed 0. Only `make plots` needs the grader, so it is imported here."""
    from grader import tasks
    from grader.spec import TASKS
    return TASKS[name], tasks.dataset(TASKS[name], 0)


def moons_figures(two_layer):
    """The activation-by-hidden-size grid of boundaries, and the loss curves behind it.

    Inputs:
    - two_layer: the module providing fit_model and predict

    Returns:
    - (boundaries, losses): two matplotlib Figures
    """
    from grader.spec import ACTIVATIONS
    task, (X_train, X_test, y_train, y_test) = task_split('moons')
    training = {key: value for key, value in task.fit.items() if key != 'actFun_type'}
    boundaries = Figure(figsize=(12, 11), layout='constrained')
    grid = boundaries.subplots(len(ACTIVATIONS), len(HIDDEN_SIZES), squeeze=False)
    losses = Figure(figsize=(15, 4), layout='constrained')
    loss_axes = losses.subplots(1, len(ACTIVATIONS))
    for row, act in enumerate(ACTIVATIONS):
        curves = {}
        for col, hidden in enumerate(HIDDEN_SIZES):
            params, curves[f'{hidden} hidden units'] = two_layer.fit_model(
                X_train, y_train, hidden, act, **training)
            predict = lambda Z, params=params: two_layer.predict(Z, params, act)
            title = f'{act}, H = {hidden}: test accuracy {_accuracy(predict, X_test, y_test):.3f}'
            plot_decision_boundary(predict, X_train, y_train, ax=grid[row, col], title=title)
        plot_losses(curves, ax=loss_axes[row], title=f'make_moons, {act}')
    boundaries.suptitle('Two-layer network on make_moons (noise 0.2): training points, '
                        'decision boundary and held-out accuracy by activation and hidden size H')
    return boundaries, losses


def deep_figure(deep):
    """Boundary and loss curve of the deep network on moons."""
    task, (X_train, X_test, y_train, y_test) = task_split('deep moons')
    params, losses = deep.deep_fit(X_train, y_train, task.shape, **task.fit)
    act = task.fit['actFun_type']
    predict = lambda Z: deep.deep_predict(Z, params, act)
    fig = Figure(figsize=(11, 4.5), layout='constrained')
    left, right = fig.subplots(1, 2)
    title = f'layers {task.shape}, {act}: test accuracy {_accuracy(predict, X_test, y_test):.3f}'
    plot_decision_boundary(predict, X_train, y_train, ax=left, title=title)
    plot_losses({'deep network': losses}, ax=right, title='Training loss')
    fig.suptitle('Deep network on make_moons (noise 0.2)')
    return fig


def circles_figure(two_layer):
    """Boundary of the circles task's network."""
    task, (X_train, X_test, y_train, y_test) = task_split('circles')
    params, _ = two_layer.fit_model(X_train, y_train, task.shape, **task.fit)
    act = task.fit['actFun_type']
    predict = lambda Z: two_layer.predict(Z, params, act)
    title = f'make_circles, {task.shape} {act} units: test accuracy {_accuracy(predict, X_test, y_test):.3f}'
    return plot_decision_boundary(predict, X_train, y_train, title=title)


def cnn_figure(cnn):
    """The CNN task's first-layer filters after training, and its loss per step."""
    task, (X_train, X_test, y_train, y_test) = task_split('cnn digits')
    params, losses = cnn.cnn_fit(X_train, y_train, seed=0, **task.fit)
    fig = Figure(figsize=(12, 4), layout='constrained')
    left, right = fig.subplots(1, 2, width_ratios=[1.3, 1])
    accuracy = _accuracy(lambda Z: cnn.cnn_predict(Z, params), X_test, y_test)
    plot_filters(params['W1'], ax=left, title=f'learned 3 x 3 filters (test accuracy {accuracy:.3f})')
    plot_losses({'batch loss': losses}, ax=right, title='Training loss per step')
    right.set_xlabel('step')
    fig.suptitle('Convolutional network on the 8 x 8 digit images')
    return fig


def mlp_figure(mlp):
    """The MLP task's accuracy and loss per epoch, plain, with batch norm, and with batch norm and dropout."""
    task, (X_train, X_test, y_train, y_test) = task_split('mlp digits')
    plain = dict(task.fit, batchnorm=False, keep_prob=1.0)
    settings = {'plain': plain, 'batch norm': dict(plain, batchnorm=True),
                'batch norm + dropout': task.fit}
    runs = {label: mlp.mlp_fit(X_train, y_train, task.shape, seed=0, X_val=X_test, y_val=y_test, **fit)[1]
            for label, fit in settings.items()}
    return plot_history(runs, title=f'MLP {task.shape} on the digits: training (solid) and held-out '
                                    '(dashed) accuracy, and loss')


TUNING_GRID = {'epsilon': (0.01, 0.05, 0.2), 'hidden_sizes': ([16], [64], [128])}


def tuning_figure(mlp):
    """Validation accuracy on the tuning task over a grid of learning rates and widths, 60 epochs each."""
    from assignment.data import load_tuning_task
    X_train, y_train, X_val, y_val = load_tuning_task(seed=0)
    (name_a, values_a), (name_b, values_b) = TUNING_GRID.items()
    accuracy = np.zeros((len(values_a), len(values_b)))
    for i, a in enumerate(values_a):
        for j, b in enumerate(values_b):
            chosen = {name_a: a, name_b: b, 'num_epochs': 60, 'batch_size': 128, 'batchnorm': False}
            hidden = chosen.pop('hidden_sizes')
            params, _ = mlp.mlp_fit(X_train, y_train, [3, *hidden, 4], seed=0, **chosen)
            accuracy[i, j] = _accuracy(lambda Z: mlp.mlp_predict(Z, params), X_val, y_val)
    return plot_tuning_grid(values_a, [str(value) for value in values_b], accuracy, name_a=name_a,
                            name_b=name_b, title='Tuning task: validation accuracy, 60 epochs of batches of 128')


# What `make plots` draws: the files, the module of the implementation they train, and the
# function that draws them from that module (a Figure, or a tuple of one Figure per file).
FIGURES = (
    (('moons_activations.png', 'moons_losses.png'), 'two_layer', moons_figures),
    (('moons_deep.png',), 'deep', deep_figure),
    (('circles.png',), 'two_layer', circles_figure),
    (('cnn.png',), 'cnn', cnn_figure),
    (('mlp.png',), 'mlp', mlp_figure),
    (('tuning.png',), 'mlp', tuning_figure),
)


def offered_modules():
    """The modules of the parts this copy of the assignment offers: all of them, unless
    the instructor released only some parts (grader/offering.json)."""
    import grader
    from grader.engine.spec import load
    return {module.name for module in load(Path(grader.__file__).parent).modules}


def why_not_drawn(error, folders):
    """Why a figure could not be drawn, in one line.

    Inputs:
    - error: the exception that stopped it
    - folders: the folders of the implementation's files

    Returns:
    - the innermost function of the implementation the error passed through, and what went
      wrong there: NotImplementedError, which the skeleton's stubs raise, means it is not
      written yet; any other error is given by its type and first line
    """
    own = [frame for frame in traceback.extract_tb(error.__traceback__)
           if any(Path(frame.filename).resolve().is_relative_to(folder) for folder in folders)]
    message = str(error).strip()
    what = f'{type(error).__name__}: {message.splitlines()[0]}' if message else type(error).__name__
    if not own:     # raised outside the implementation's files, e.g. drawing what it returned
        return what
    last = own[-1]
    file = Path(last.filename).name
    where = file if last.name == '<module>' else f'{last.name} ({file})'
    return f'{where} is not written yet' if isinstance(error, NotImplementedError) else f'{where} raised {what}'


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the networks of every part and draw the handout's figures.")
    parser.add_argument('--impl', default='assignment', help='package to train: assignment or solution')
    parser.add_argument('--out', default='figures', type=Path, help='directory for the PNG files')
    args = parser.parse_args(argv)
    try:
        package = importlib.import_module(args.impl)
    except ImportError as error:
        parser.error(f'--impl {args.impl}: {error} (give a package importable from here: assignment or solution)')
    folders = [Path(path).resolve() for path in getattr(package, '__path__', ())]
    offered = offered_modules()
    wrote, stopped = 0, {}      # stopped: {file name: why it was not drawn}
    for names, module, draw in FIGURES:
        if module not in offered:
            continue
        try:
            figures = draw(importlib.import_module(f'{args.impl}.{module}'))
        except Exception as error:  # noqa: BLE001 - a failure of the implementation stops this figure only
            stopped.update(dict.fromkeys(names, why_not_drawn(error, folders)))
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        for name, fig in zip(names, figures if isinstance(figures, tuple) else (figures,)):
            fig.savefig(args.out / name, dpi=110)
            print(f'wrote {args.out / name}', flush=True)
            wrote += 1
    if stopped:
        width = max(map(len, stopped))
        print('Not drawn yet; what stops each figure:' if wrote else 'No figure drawn; what stops each one:',
              *(f'  {name:<{width}}  {why}' for name, why in stopped.items()), sep='\n', file=sys.stderr)
    return 0 if wrote else 1


if __name__ == '__main__':
    sys.exit(main())
