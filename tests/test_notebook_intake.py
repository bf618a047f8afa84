"""Notebook intake on hostile notebooks: long chains of statements, notes that cannot be
printed, huge saved outputs, oversized and malformed files. Each is built here, never
shipped; each is read in time linear in its size and memory bounded by its code."""

import base64
import json
import os
import subprocess
import sys

import nbformat
import pytest

from grader.engine.intake.notebook import MAX_BYTES, MAX_CELLS, MAX_CODE, MAX_DEPTH, NotebookError, definitions
from grader.engine.intake.submission import SubmissionError, prepare
from grader.spec import SPEC
from tests.submissions import PARTS_1_AND_2, ROOT, failed, grade, reference_score
from tools import notebook

OWN = {SPEC.package, *(module.name for module in SPEC.modules), *SPEC.provided}
# A statement whose every name the chain then needs, and that is itself dropped.
CHAIN = 20_000
DEFINITIONS = 'import numpy as np\n\n\ndef relu(x):\n    return np.maximum(x, 0)'
# An int literal ast.unparse refuses to print (more than 4300 decimal digits), and an
# expression that parses but that ast.unparse cannot recurse through.
HUGE = '0x' + 'f' * 5000
DEEP = ' + '.join(['1'] * 1500)


def code_notebook(path, cells):
    """A notebook of code cells, written as Jupyter writes it."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells])
    path.write_text(nbformat.writes(nb))
    return path


def reference_notebook(path, extra_cells=(), image_mib=0):
    """The reference as a notebook, with more code cells at the end and, if image_mib, a
    PNG of that size in base64 (random bytes, as compressed data look) saved as the last
    code cell's output, written a MiB at a time."""
    modules = {module.name: (ROOT / 'solution' / module.file).read_text() for module in SPEC.modules}
    nb = notebook.build(modules, (ROOT / 'assignment' / 'README.md').read_text())
    nb.cells += [nbformat.v4.new_code_cell(code) for code in extra_cells]
    if not image_mib:
        path.write_text(notebook.render(nb))
        return path
    placeholder = 'IMAGE-PLACEHOLDER'
    cell = [c for c in nb.cells if c.cell_type == 'code'][-1]
    cell.outputs = [nbformat.v4.new_output('display_data', data={'image/png': placeholder})]
    before, after = notebook.render(nb).split(placeholder)
    with open(path, 'wb') as f:
        f.write(before.encode())
        for _ in range(image_mib):
            f.write(base64.b64encode(os.urandom(3 * 2 ** 18)))
        f.write(after.encode())
    return path


def kept_code(program):
    """The code of the kept statements, every cell's file but the loader's, joined."""
    return '\n'.join(code for name, code in program.files.items() if name != 'notebook.py')


# Deciding what to keep propagates each drop to the statements it concerns: a chain that
# loses one statement a round, which took minutes for 20 000 statements when every round
# read every statement, is read in about a second.

def test_a_chain_whose_head_is_dropped_is_dropped_whole_in_one_cell(tmp_path):
    chain = ['a1 = print(1)'] + [f'a{i} = a{i - 1}' for i in range(2, CHAIN + 1)]
    uses = f'def scale(x):\n    return x * a{CHAIN}'
    program = definitions(code_notebook(tmp_path / 'chain.ipynb', [DEFINITIONS, '\n'.join(chain), uses]), OWN)
    assert set(program.files) == {'notebook.py', 'notebook_cell_1.py', 'notebook_cell_3.py'}
    assert 'def relu' in program.files['notebook_cell_1.py'] and 'def scale' in program.files['notebook_cell_3.py']
    assert program.notes == (f'cell 2, line {CHAIN}: `a{CHAIN} = a{CHAIN - 1}` was not run (it uses a{CHAIN - 1}, '
                             f'which is not defined by code that is run), so a{CHAIN} is undefined for the '
                             'functions that use it',)


def test_a_chain_of_statements_that_share_lines_is_dropped_whole(tmp_path):
    chain = ['a1 = print(1); a2 = (1,'] + [f'2); a{i} = (1,' for i in range(3, CHAIN + 1)] + ['2)', 'b = 1']
    program = definitions(code_notebook(tmp_path / 'lines.ipynb', [DEFINITIONS, '\n'.join(chain)]), OWN)
    assert program.files['notebook_cell_2.py'].split() == ['b', '=', '1']
    assert 'def relu' in program.files['notebook_cell_1.py']


def test_a_chain_across_many_cells_is_dropped_whole(tmp_path):
    cells = ['a1 = print(1)'] + [f'a{i} = a{i - 1}' for i in range(2, MAX_CELLS)] + [DEFINITIONS]
    program = definitions(code_notebook(tmp_path / 'cells.ipynb', cells), OWN)
    assert set(program.files) == {'notebook.py', f'notebook_cell_{MAX_CELLS}.py'}


def test_a_chain_of_aliases_of_a_lambda_is_kept_and_calling_its_end_is_not(tmp_path):
    chain = ['a1 = lambda x: x'] + [f'a{i} = a{i - 1}' for i in range(2, CHAIN + 1)] + [f'result = a{CHAIN}(3)']
    uses = 'def scale(x):\n    return x * result'
    program = definitions(code_notebook(tmp_path / 'aliases.ipynb', [DEFINITIONS, '\n'.join(chain), uses]), OWN)
    kept = program.files['notebook_cell_2.py']
    assert f'a{CHAIN} = a{CHAIN - 1}' in kept and 'result' not in kept
    assert program.notes == (f'cell 2, line {CHAIN + 1}: `result = a{CHAIN}(3)` was not run (it calls a{CHAIN}, '
                             'which the notebook defines), so result is undefined for the functions that use it',)


# A note is built from a dropped statement's code; when that code cannot be printed again,
# the note names the statement's line instead, and the notebook keeps every point.

def test_a_dropped_statement_too_large_to_print_costs_no_point(tmp_path):
    cells = [f'big = {HUGE}; print(big)', 'def scale(x):\n    return x * big']
    results = grade(reference_notebook(tmp_path / 'huge.ipynb', cells), 'public', PARTS_1_AND_2)
    assert results['score'] == reference_score('public', PARTS_1_AND_2), [t['output'] for t in failed(results)]
    assert '`assign on line 1` was not run (it shares a line with code that is not run), so big is undefined' \
        in results['output']


@pytest.mark.parametrize('literal', [HUGE, DEEP], ids=['huge int', 'deep expression'])
def test_notes_on_code_that_cannot_be_printed_name_its_line(tmp_path, literal):
    cells = [DEFINITIONS, f'wrapped = np.vectorize[{literal}](relu)\nscaled = train({literal})',
             'def train(n):\n    return n', f'def deep():\n    return {literal}',
             'def uses():\n    return wrapped, scaled']
    program = definitions(code_notebook(tmp_path / 'unprintable.ipynb', cells), OWN)
    assert program.notes == (
        'cell 2, line 1: `assign on line 1` was not run (it passes a function of the notebook to subscript on '
        'line 1), so wrapped is undefined for the functions that use it',
        'cell 2, line 2: `assign on line 2` was not run (it calls train, which the notebook defines), so scaled '
        'is undefined for the functions that use it')
    assert 'def deep' in program.files['notebook_cell_4.py'] and 'notebook_cell_2.py' not in program.files


# Saved outputs are read past, never built: a notebook is graded from its code cells
# whatever its outputs weigh, up to what Gradescope accepts.

MEASURE = '''
import resource, sys
from grader.engine.intake.notebook import definitions
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
program = definitions(sys.argv[1], set())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, len(program.files))
'''


def test_a_notebook_with_a_60_mb_image_is_graded_from_its_code_in_bounded_memory(tmp_path):
    path = reference_notebook(tmp_path / 'images.ipynb', image_mib=60)
    assert path.stat().st_size > 60 * 2 ** 20
    done = subprocess.run([sys.executable, '-c', MEASURE, str(path)], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    growth_kib, files = map(int, done.stdout.split())
    # Loaded whole (nbformat), it took 146 MiB more; streamed, nothing measurable.
    assert growth_kib < 32 * 1024 and files > 10, done.stdout
    assert grade(path, 'public', PARTS_1_AND_2)['score'] == reference_score('public', PARTS_1_AND_2)


def test_a_notebook_larger_than_gradescope_accepts_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / 'huge.ipynb'
    with open(path, 'wb') as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(SubmissionError, match='larger than 100 MiB, more than Gradescope accepts'):
        prepare(path, tmp_path / 'work', SPEC)


def raw_notebook(cells, **top):
    """The text of a notebook of the given cell dicts, with other top-level keys."""
    return json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5, **top})


def code_cell(source, **keys):
    return {'cell_type': 'code', 'metadata': {}, 'outputs': [], 'execution_count': None, 'source': source, **keys}


@pytest.mark.parametrize('text, message', [
    (raw_notebook([code_cell('x = 1' * (MAX_CODE // 5 + 1))]), f'holds more than {MAX_CODE >> 20} MiB of code'),
    (raw_notebook([code_cell(['x = 1\n'] * (MAX_CODE // 6 + 1))]), f'holds more than {MAX_CODE >> 20} MiB of code'),
    (raw_notebook([code_cell('x = 1\n' * (MAX_CODE // 12))] * 2 + [code_cell('y = 2\n' * (MAX_CODE // 12))]),
     f'holds more than {MAX_CODE >> 20} MiB of code'),
    (raw_notebook([{'cell_type': 'markdown', 'metadata': {}, 'source': ''}] * (MAX_CELLS + 1)),
     f'has more than {MAX_CELLS} cells'),
], ids=['one long string', 'many lines', 'many cells', 'too many cells'])
def test_too_much_code_or_too_many_cells_is_refused(tmp_path, text, message):
    (tmp_path / 'large.ipynb').write_text(text)
    with pytest.raises(NotebookError, match=message):
        definitions(tmp_path / 'large.ipynb', OWN)


def test_long_text_outside_code_and_keys_in_any_order_are_read(tmp_path):
    long_text = 'x' * (MAX_CODE + 1)
    cells = [{'source': long_text, 'metadata': {}, 'cell_type': 'markdown'},
             code_cell(DEFINITIONS, outputs=[{'output_type': 'stream', 'name': 'stdout', 'text': [long_text]}],
                       attachments={'a.png': {'image/png': long_text}}),
             {'source': ['def relu6(x):\n', '    return np.minimum(relu(x), 6)\n'], 'cell_type': 'code'}]
    (tmp_path / 'long.ipynb').write_text(raw_notebook(cells, metadata={'widgets': [[[{'deep': [1]}]]]}))
    program = definitions(tmp_path / 'long.ipynb', OWN)
    assert set(program.files) == {'notebook.py', 'notebook_cell_2.py', 'notebook_cell_3.py'}
    assert 'def relu6' in program.files['notebook_cell_3.py']


VALID = raw_notebook([code_cell(DEFINITIONS)])


@pytest.mark.parametrize('content, message', [
    (b'', 'is not a notebook: it is not JSON'),
    (VALID[:-10].encode(), 'is not a notebook: it is not JSON'),
    (VALID.encode() + b' []', 'is not a notebook: it is not JSON'),
    (VALID.replace('numpy', 'nu\xffmpy').encode('latin-1'), 'is not a notebook: it is not JSON'),
    (VALID.replace('null', '9' * 5000).encode(), 'is not a notebook: it is not JSON'),
    (VALID[:-1].encode() + b', "x": 1.' + b'0' * (8 << 20) + b'}', 'holds a number of more than 4300 digits'),
    (b'[]', 'is not a Jupyter notebook: it is not a JSON object'),
    (json.dumps({'cells': {}, 'nbformat': 4}).encode(), 'is not a Jupyter notebook: its cells are not a list'),
    (raw_notebook([1]).encode(), 'is not a Jupyter notebook: its cell 1 is not a JSON object'),
    (raw_notebook([{'source': 'x = 1'}]).encode(), 'is not a Jupyter notebook: its cell 1 has no cell_type'),
    (raw_notebook([code_cell(5)]).encode(), 'the source of its cell 1 is not text'),
    (raw_notebook([code_cell(['x = 1\n', ['y']])]).encode(), 'the source of its cell 1 is not text'),
    (raw_notebook([code_cell('x = 1')], nbformat=3).encode(), 'is not a Jupyter notebook of format 4'),
    (json.dumps({'cells': [code_cell('x = 1')]}).encode(), 'is not a Jupyter notebook: it has no nbformat version'),
    (json.dumps({'nbformat': 4}).encode(), 'is not a Jupyter notebook: it has no list of cells'),
    (raw_notebook([code_cell('x = 1', outputs=[[[[]]]] * 2)]).replace('[[[]]]', '[' * MAX_DEPTH + ']' * MAX_DEPTH)
     .encode(), f'its JSON is nested more than {MAX_DEPTH} deep'),
], ids=['empty', 'cut short', 'trailing data', 'not UTF-8', 'number too long', 'a number of 8 MiB', 'not an object', 'cells not a list',
        'cell not an object', 'no cell_type', 'source not text', 'source list not text', 'format 3', 'no nbformat',
        'no cells', 'nested too deeply'])
def test_a_malformed_notebook_gets_a_clear_error(tmp_path, content, message):
    (tmp_path / 'bad.ipynb').write_bytes(content)
    with pytest.raises(NotebookError) as raised:
        definitions(tmp_path / 'bad.ipynb', OWN)
    assert message in str(raised.value)
