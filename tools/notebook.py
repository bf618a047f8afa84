"""Build the notebook form of the assignment: the handout as markdown, one code cell per
function, and cells that train and plot with the provided helpers.

The student notebook, assignment/assignment.ipynb, is built from the generated skeleton
(`make assignment`); tests build the same layout from the reference.
"""

import ast
import re

import nbformat

from grader.contract import PART_OF, PARTS

MODULE_ORDER = ('activations', 'losses', 'two_layer', 'deep')
TRAINING_CELLS = [
    '''# The helpers live in the assignment package, one folder up from this notebook.
import os
import sys
sys.path.insert(0, os.path.abspath('..'))
from assignment.data import load_moons, stratified_split
from assignment.plots import plot_decision_boundary, plot_losses''',
    '''X, y = load_moons(500, noise=0.2, seed=0)
X_train, X_test, y_train, y_test = stratified_split(X, y, seed=0)
params, losses = fit_model(X_train, y_train, 3, 'tanh', epsilon=0.1, num_passes=3000,
                           reg_lambda=0.001, momentum=0.9)
print('held-out accuracy:', np.mean(predict(X_test, params, 'tanh') == y_test))''',
    '''plot_decision_boundary(lambda Z: predict(Z, params, 'tanh'), X_train, y_train,
                       title='3 tanh units on make_moons')''',
    '''plot_losses({'3 tanh units': losses})''',
]


def function_cells(source):
    """The top-level functions and classes of a module, each as its own source text;
    imports, the module docstring and comments between definitions are left out."""
    tree = ast.parse(source)
    return [ast.get_source_segment(source, node) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))]


def handout_sections(handout):
    """{heading line: section text} of the handout's '## ' sections, and its introduction."""
    chunks = re.split(r'(?m)^(?=## )', handout)
    return chunks[0], {chunk.split('\n', 1)[0]: chunk.strip() for chunk in chunks[1:]}


def build(modules, handout):
    """The notebook of an implementation.

    Inputs:
    - modules: {'activations': source, 'losses': ..., 'two_layer': ..., 'deep': ...}
    - handout: the handout's Markdown

    Returns:
    - an nbformat v4 notebook
    """
    intro, sections = handout_sections(handout)
    parts = [text for heading, text in sections.items() if heading.startswith('## Part')]
    other = [text for heading, text in sections.items() if not heading.startswith('## Part')]
    # other: getting started, conventions, derivations, train and plot, questions, grading
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [md(intro.strip()), *map(md, other[:2]), code('import numpy as np')]
    by_part = parts_of(modules)
    for text, (part, _, _) in zip(parts, PARTS):
        cells += [md(text), *map(code, by_part[part])]
    cells += [*map(md, other[2:4]), *map(code, TRAINING_CELLS), *map(md, other[4:])]
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
        'language_info': {'name': 'python'}})
    for number, cell in enumerate(notebook.cells):
        cell.id = f'cell-{number}'   # fixed ids keep the file identical from build to build
    return notebook


def parts_of(modules):
    """{part: [function sources]}; a helper outside the contract (loss_and_grads, num_layers)
    goes with the contract function before it in its module, or the first one after it."""
    by_part = {part: [] for part, _, _ in PARTS}
    for module in MODULE_ORDER:
        functions = function_cells(modules[module])
        names = [ast.parse(f).body[0].name for f in functions]
        contract = [PART_OF[n] for n in names if n in PART_OF]
        part = contract[0]
        for name, function in zip(names, functions):
            part = PART_OF.get(name, part)
            by_part[part].append(function)
    return by_part


def render(notebook):
    return nbformat.writes(notebook) + '\n'
