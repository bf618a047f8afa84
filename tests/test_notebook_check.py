"""check() inside Jupyter: a notebook executed by nbclient, as Jupyter runs it, grades its own
definitions with the public tests and prints the feedback `make grade` prints."""

import nbformat
from nbclient import NotebookClient

from grader.spec import SPEC
from tools.notebook import function_cells

ASSIGNMENT = SPEC.root / 'assignment'      # where the notebook lives, beside check.py
LEAKY = 'import numpy as np\n\n\ndef relu(x):\n    return np.maximum(x, 0.01 * x)\n'


def executed(cells):
    """The printed output of every cell of a notebook of these sources, run in a kernel of this environment."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    NotebookClient(notebook, timeout=600, kernel_name='python3',
                   resources={'metadata': {'path': str(ASSIGNMENT)}}).execute()
    return ['\n'.join(output.get('text', '') for output in cell.outputs) for cell in notebook.cells]


def test_check_of_a_function_grades_the_notebooks_own_definition():
    """A wrong relu fails its check with the grader's feedback; the same cell after a right
    relu is defined passes: the check sees the kernel's cells in the order they ran."""
    right = function_cells((SPEC.root / 'solution' / 'activations.py').read_text())
    outputs = executed([LEAKY, "from check import check\ncheck('relu')",
                        'import numpy as np\n\n' + right[0], "check('relu')"])
    assert 'FAIL relu is max(x, 0) elementwise' in outputs[1] and '0 / 0.6' in outputs[1]
    assert 'expected' in outputs[1]                                  # the feedback, not just the mark
    assert 'PASS relu is max(x, 0) elementwise' in outputs[3] and 'FAIL' not in outputs[3]


def test_check_of_a_part_grades_every_function_of_it():
    """check(part=1) after the reference's Part 1 is defined: every public test of Part 1 passes."""
    source = (SPEC.root / 'solution' / 'activations.py').read_text()
    outputs = executed(['import numpy as np', *function_cells(source), 'from check import check\ncheck(part=1)'])
    assert 'Total' in outputs[-1] and '5.4 / 5.4' in outputs[-1] and 'FAIL' not in outputs[-1]


def reference_cells(replace=None):
    """The code cells of the reference's notebook up to its training cells, the check() cell
    that ends each part included; `replace`: (old, new) applied to the cell that holds old."""
    from tools import notebook
    modules = {module.name: (SPEC.root / 'solution' / module.file).read_text() for module in SPEC.modules}
    built = notebook.build(modules, (SPEC.root / SPEC.handout).read_text())
    cells = [cell.source for cell in built.cells if cell.cell_type == 'code']
    cells = cells[:cells.index(notebook.training_cells()[0])]
    if replace:
        cells = [cell.replace(*replace) for cell in cells]
    return cells


def test_the_notebooks_check_cells_pass_on_the_reference_and_name_a_bug():
    """The notebook students get ends every part with check(part=N): run on the reference's
    definitions each says the part's public tests all pass; with one wrong gradCE, Part 2's
    check fails gradCE's tests and says why, and Part 3's names gradCE."""
    outputs = executed(reference_cells())
    checks = [output for cell, output in zip(reference_cells(), outputs) if cell.startswith('check(part=')]
    assert len(checks) == len(SPEC.parts)
    assert all('Total' in output and 'FAIL' not in output for output in checks), checks
    buggy = executed(reference_cells(('return (prediction - target) / target.shape[0]', 'return prediction - target')))
    part_2, part_3 = [output for output in buggy if 'Total' in output][1:3]
    assert 'FAIL gradCE' in part_2 and '1/N' in part_2
    assert 'gradCE' in part_3
