"""Turn a Jupyter notebook into the source of one module: its definitions, nothing else.

A notebook is graded by what it defines: imports, functions, classes and assignments of
constants. Training runs, plots, prints and IPython magics are left out, so a cell that
trains for 20 000 passes costs nothing at grading time. Imports of the assignment's own
modules (`from activations import relu`, `from assignment.data import load_moons`) are
left out too: in a notebook everything already shares one namespace.
"""

import ast
import json

import nbformat

from .contract import MODULES

OWN_MODULES = {*MODULES, 'data', 'plots', 'assignment'}


class NotebookError(ValueError):
    """A file that cannot be read as a notebook; the message says why, for the student."""


def definitions(path):
    """The definitions of a notebook's code cells, as one module's source.

    Inputs:
    - path: the .ipynb file

    Returns:
    - source: Python source, each cell's definitions under a '# cell N' comment
    - notes: what was skipped and why (cells with syntax errors), for the student
    """
    notebook = _read(path)
    cells = [cell for cell in notebook.cells if cell.cell_type == 'code']
    if not cells:
        raise NotebookError(f'{path.name} has no code cells')
    parts, notes = [], []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != 'code':
            continue
        code = _without_magics(cell.source)
        try:
            tree = ast.parse(code)
        except SyntaxError as error:
            notes.append(f'cell {number} was skipped: SyntaxError on its line {error.lineno}: {error.msg}')
            continue
        kept = [ast.get_source_segment(code, node, padded=True) for node in tree.body if _is_definition(node)]
        if kept:
            parts.append(f'# cell {number}\n' + '\n'.join(kept))
    return '\n\n'.join(parts) + '\n', notes


def _read(path):
    try:
        notebook = nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError, nbformat.reader.NotJSONError) as error:
        raise NotebookError(f'{path.name} is not a notebook: it is not JSON ({error})') from None
    except Exception as error:  # nbformat raises several kinds for files that are not notebooks
        raise NotebookError(f'{path.name} is not a Jupyter notebook ({type(error).__name__}: {error})') from None
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise NotebookError(f'{path.name} is not a valid Jupyter notebook: {error.message}') from None
    return notebook


def _without_magics(source):
    """The cell's code with IPython magics and shell escapes blanked (line numbers kept)."""
    lines = source.split('\n')
    if lines and lines[0].lstrip().startswith('%%'):
        return ''
    return '\n'.join('' if line.lstrip().startswith(('%', '!', '?')) or line.rstrip().endswith('?')
                     else line for line in lines)


def _is_definition(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Import):
        return not any(alias.name.split('.')[0] in OWN_MODULES for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and node.module.split('.')[0] not in OWN_MODULES
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return _is_constant(node.value)
    return False


def _is_constant(value):
    """A literal (numbers, strings, tuples, ...), or a name or attribute such as np.pi or an alias."""
    if isinstance(value, (ast.Name, ast.Attribute)):
        return True
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
