"""Check your work without leaving the notebook: check('relu') or check(part=6).

check() grades what you have defined so far exactly as `make grade` grades a saved
notebook: the cells you have run, in the order you ran them, go to the grader, which keeps
their definitions (imports, functions, constants) and runs the public tests on them in its
sandbox, in a process of its own. Nothing of the grader runs in this notebook's kernel, and
nothing you defined here runs outside the sandbox.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

PROJECT = Path(__file__).resolve().parent.parent     # the folder that holds grader/ and assignment/


def check(function=None, part=None):
    """Grade one function, or one part, with the public tests, and print the feedback.

    Inputs:
    - function: the name of a function to check, e.g. 'relu'
    - part: the number of a part to check, e.g. 6 (give one of the two)
    """
    if (function is None) == (part is None):
        raise ValueError("give a function's name or a part's number: check('relu') or check(part=6)")
    which = ['--function', function] if function is not None else ['--parts', str(part)]
    with tempfile.TemporaryDirectory(prefix='check-') as folder:
        notebook = Path(folder) / 'assignment.ipynb'
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in _cells_run()]),
                       notebook)
        graded = subprocess.run([sys.executable, '-m', 'grader', 'grade', str(notebook), *which,
                                 '--out', str(Path(folder) / 'results.json')],
                                cwd=PROJECT, capture_output=True, text=True)
    lines = [line for line in graded.stdout.splitlines() if not line.startswith('Results written to')]
    print('\n'.join(lines) or graded.stderr.strip())


def _cells_run():
    """The source of every cell this kernel has run, in the order of their last runs: a cell run
    many times counts once, where it ran last (IPython keeps the history, as `In` shows it)."""
    from IPython import get_ipython        # here, not above: IPython is there only inside Jupyter
    shell = get_ipython()
    if shell is None:
        raise RuntimeError('check() reads the cells a notebook has run; outside Jupyter, grade your files with '
                           '`make grade`')
    history = [cell for cell in shell.history_manager.input_hist_parsed[1:] if cell.strip()]
    return list(reversed(dict.fromkeys(reversed(history))))
