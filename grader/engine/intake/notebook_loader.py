"""The module `notebook` of a notebook submission: runs the notebook's kept code.

The grader copies this file into a notebook submission as `notebook.py`, beside one file
`notebook_cell_N.py` per code cell that has code to run (intake/notebook.py chose it), and
the contract modules re-export it. It runs every top-level statement of every cell file,
in order, in this module's namespace, each compiled with its cell file's name so that
tracebacks show the student's line. A statement that fails is skipped, and a note for
the student is added to `__grader_notes__`; the others still run.
"""

__grader_notes__ = []


def __grader_run_cells(namespace):
    """Run the cell files beside this one in the namespace of this module."""
    import ast
    import pathlib
    import re

    folder = pathlib.Path(namespace['__file__']).resolve().parent
    numbered = [(int(re.fullmatch(r'notebook_cell_(\d+)\.py', path.name).group(1)), path)
                for path in folder.iterdir() if re.fullmatch(r'notebook_cell_(\d+)\.py', path.name)]
    for number, path in sorted(numbered):
        source = path.read_text(encoding='utf-8')
        try:
            statements = ast.parse(source, str(path)).body
        except (SyntaxError, RecursionError, MemoryError) as error:
            __grader_notes__.append(f'cell {number} was skipped: it could not be read ({type(error).__name__})')
            continue
        for statement in statements:
            try:
                exec(compile(ast.Module([statement], []), str(path), 'exec'), namespace)
            except Exception as error:  # noqa: BLE001 - a failing statement is the student's, reported
                shown = source.split('\n')[statement.lineno - 1].strip()
                shown = shown if len(shown) <= 60 else shown[:57] + '...'
                reason = f'{type(error).__name__}: {error}'
                reason = reason if len(reason) <= 200 else reason[:197] + '...'
                __grader_notes__.append(f'cell {number}, line {statement.lineno}: `{shown}` failed '
                                        f'({reason}); it was skipped')


__grader_run_cells(globals())
del __grader_run_cells
