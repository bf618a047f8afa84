"""Build the notebook form of the assignment: the handout as markdown, each part with its
derivations next to its code cells, and cells that train and plot with the provided helpers.

The student notebook, assignment/assignment.ipynb, is built from the generated skeleton
(`make assignment`); tests build the same layout from the reference. The notebook sits in
assignment/ beside data.py and plots.py, and imports them as its neighbours: it needs no
change of sys.path.
"""

import ast

import nbformat

from grader.spec import SPEC, TASKS
from tools import answers
from tools import handout as handouts

# In the notebook, the handout's "Getting started" (which speaks of files) reads so instead.
GETTING_STARTED = '''## Getting started

You write every function in this notebook: each part below explains what to compute and
why, then gives one code cell per function, with its docstring (every shape spelled out)
and a `# TODO` hint above a `raise NotImplementedError` that your code replaces. Run the
cells in order; the last ones train your networks and plot what they learned.

Check your work as you go: `check('relu')` in any cell grades the function `relu` as you
last defined it, with the public tests, and prints the grader's feedback; `check(part=4)`
grades a whole part (each part ends with such a cell). It grades the cells you have run,
in the order you ran them, in the grader's sandbox, exactly as
`make grade SUBMISSION=assignment/assignment.ipynb` grades the saved notebook from a shell.
The grader runs what defines things (imports, functions, classes, constants, lookup
tables), exactly as it would from a `.py` file, and never what a cell *does* (training
runs, plots, prints). The public tests are a subset of what counts: the instructor also
runs hidden tests on random inputs and checks the held-out accuracy of your networks.

Open the notebook with `make notebook` (JupyterLab, with the project's Python, so that
`check` finds the grader).'''

# In the notebook, the first paragraph of "Train and plot" (which speaks of `make plots`) reads so instead.
TRAIN_AND_PLOT = '''## Train and plot

The cells below train your networks with the grader's hyper-parameters and draw the figures
this table describes; each needs the functions of its part to work (a figure of a part you
have not finished stops with the error of the function it needs). From a shell,
`make plots SUBMISSION=assignment` draws the same figures from the `.py` files instead.'''


def function_cells(source):
    """The top-level functions and classes of a module, each as its own source text, with the
    module's constants (whole lines, comments kept) at the top of the definition after them;
    imports, the module docstring and comments between definitions are left out."""
    tree, lines = ast.parse(source), source.splitlines()
    cells, constants = [], []
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            constants += lines[node.lineno - 1:node.end_lineno]
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            above = '\n'.join(constants + ['', '', '']) if constants else ''
            cells.append(above + ast.get_source_segment(source, node))
            constants = []
    return cells


def training_cells():
    """Cells that train on the moons task of the spec and plot, with the provided helpers."""
    task = TASKS['moons']
    fit = ', '.join(f'{key}={value!r}' for key, value in task.fit.items())
    data = ', '.join(f'{key}={value!r}' for key, value in task.loader_kwargs.items())
    act = task.fit['actFun_type']
    return [
        'from data import load_moons, stratified_split\nfrom plots import plot_decision_boundary, plot_losses',
        f'X, y = {task.loader}({data}, seed=0)\n'
        'X_train, X_test, y_train, y_test = stratified_split(X, y, seed=0)\n'
        f'params, losses = fit_model(X_train, y_train, {task.shape}, {fit}, seed=0)\n'
        f"print('held-out accuracy:', np.mean(predict(X_test, params, {act!r}) == y_test))",
        f"plot_decision_boundary(lambda Z: predict(Z, params, {act!r}), X_train, y_train,\n"
        f"                       title='{task.shape} {act} units on make_moons')",
        f"plot_losses({{'{task.shape} {act} units': losses}})",
    ]


def figure_cells(spec=SPEC):
    """Cells that draw the figures of `make plots` from the notebook's own definitions, for the
    offered parts: the figure functions of assignment/plots.py take a module, and the notebook's
    definitions are the module __main__."""
    from assignment.plots import FIGURES
    offered = {module.name for module in spec.modules}
    cells = ['import sys\n'
             "sys.path.insert(0, '..')   # the project's root: the figures train on the grader's tasks\n"
             f"from plots import {', '.join(draw.__name__ for _, module, draw in FIGURES if module in offered)}\n"
             "this_notebook = sys.modules['__main__']   # where the figures find your fit_model, cnn_fit, ..."]
    for files, module, draw in FIGURES:
        if module in offered:
            cells.append(f"display({'*' if len(files) > 1 else ''}{draw.__name__}(this_notebook))   # {', '.join(files)}")
    return cells


def build(modules, handout, spec=SPEC):
    """The notebook of an implementation.

    Inputs:
    - modules: {module name: source} for every module of the spec
    - handout: the handout's Markdown
    - spec: the engine.spec.Assignment (an offering keeps only its parts)

    Returns:
    - an nbformat v4 notebook
    """
    intro, sections = handouts.sections(handout)
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells, by_part, trained = [md(intro.strip())], parts_of(modules, spec), False
    for heading, text in sections.items():
        number = handouts.part_number(heading)
        if heading == '## Getting started':
            cells += [md(GETTING_STARTED), code('import numpy as np\nfrom check import check')]
        elif number is not None:
            if number in by_part:
                cells += [md(text.strip()), *map(code, by_part[number]), code(f'check(part={number})')]
        elif heading == '## Train and plot' and not trained:
            offered = {function for part in spec.parts for function in part.functions}
            text = TRAIN_AND_PLOT + '\n\n' + text.strip().removeprefix('## Train and plot').split('\n\n', 2)[-1]
            cells += [md(text), *map(code, training_cells() if 'fit_model' in offered else []),
                      *map(code, figure_cells(spec))]
            trained = True
        elif heading == '## Questions to think about':
            cells += [md(text.strip()), *answers.answer_cells(spec)]
        else:
            cells.append(md(text.strip()))
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
        'language_info': {'name': 'python'}})
    for number, cell in enumerate(notebook.cells):
        cell.id = f'cell-{number}'   # fixed ids keep the file identical from build to build
    return notebook


def parts_of(modules, spec=SPEC):
    """{part number: [function sources]}; a helper outside the contract (loss_and_grads,
    num_layers) goes with the contract function before it in its module, or the first one after it."""
    part_of = {function: part.number for part in spec.parts for function in part.functions}
    by_part = {part.number: [] for part in spec.parts}
    for module in spec.modules:
        functions = function_cells(modules[module.name])
        names = [ast.parse(f).body[-1].name for f in functions]
        part = next(part_of[n] for n in names if n in part_of)
        for name, function in zip(names, functions):
            part = part_of.get(name, part)
            by_part[part].append(function)
    return by_part


def render(notebook):
    return nbformat.writes(notebook) + '\n'
