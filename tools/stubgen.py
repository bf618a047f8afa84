"""Generate the student skeleton in assignment/ from the reference in solution/.

In a solution module, the code students must write sits between two markers, right
below the hint they read, a fenced block of comments:

    # TODO: what to compute, and what to watch for (a hint, never the answer)
    #   ...more lines of the hint...
    # END TODO
    # BEGIN SOLUTION
    ...reference code...
    # END SOLUTION

The skeleton keeps everything outside the markers (imports, signatures, docstrings,
hints, provided helpers) and replaces each marked block, at its indentation, with

    raise NotImplementedError

so that the hint stays on screen while the student writes the code below it.

It also builds assignment.ipynb, the notebook form: the handout as markdown, one code
cell per stub (tools/notebook.py).

Usage: python -m tools.stubgen [--check]
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_DIR = ROOT / 'solution'
ASSIGNMENT_DIR = ROOT / 'assignment'
HANDOUT = ROOT / 'assignment' / 'README.md'
GRADED_MODULES = ('activations.py', 'losses.py', 'two_layer.py', 'deep.py')

BEGIN = re.compile(r'^(?P<indent>\s*)# BEGIN SOLUTION\s*$')
END = re.compile(r'^\s*# END SOLUTION\s*$')
END_TODO = '# END TODO'


class MarkerError(ValueError):
    """Solution markers that do not pair up, or a block without a hint above it."""


def split_blocks(text, name='<source>'):
    """Split a solution module into provided lines and solution blocks.

    Inputs:
    - text: the module's source
    - name: the module's name, for error messages

    Returns:
    - list of items in source order: a str for each provided line, and a tuple
      (indent, block_lines) for each solution block
    """
    items, block = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        begin = BEGIN.match(line)
        if block is None:
            if begin:
                if not items or items[-1] != begin['indent'] + END_TODO:
                    raise MarkerError(f'{name}:{number}: a solution block must follow its hint, '
                                      f'a "# TODO: ..." block that ends with "{END_TODO}"')
                block = (begin['indent'], [])
            elif END.match(line) or '# BEGIN SOLUTION' in line:
                raise MarkerError(f'{name}:{number}: stray solution marker')
            else:
                items.append(line)
        elif END.match(line):
            items.append(block)
            block = None
        elif begin or '# BEGIN SOLUTION' in line:
            raise MarkerError(f'{name}:{number}: solution blocks cannot nest')
        else:
            block[1].append(line)
    if block is not None:
        raise MarkerError(f'{name}: a solution block is never closed')
    return items


def stub_source(text, name='<source>'):
    """The skeleton of one solution module: every block replaced by a stub."""
    lines = []
    for item in split_blocks(text, name):
        if isinstance(item, str):
            lines.append(item)
        else:
            indent, _ = item
            lines.append(f'{indent}raise NotImplementedError')
    return '\n'.join(lines) + '\n'


def solution_lines(text, name='<source>'):
    """The lines inside solution blocks of one module, as written."""
    return [line for item in split_blocks(text, name) if not isinstance(item, str)
            for line in item[1]]


def secret_lines(solution_dir=SOLUTION_DIR):
    """Stripped lines that only solution blocks hold: none may appear in student material.

    Lines that also stand outside the blocks, and short ones that any code may hold
    (`return {`, a closing bracket), give nothing away and are left out.
    """
    inside, outside = set(), set()
    for path in solution_dir.glob('*.py'):
        for item in split_blocks(path.read_text(), path.name):
            if isinstance(item, str):
                outside.add(item.strip())
            else:
                inside.update(line.strip() for line in item[1])
    return {line for line in inside - outside if len(line.replace(' ', '')) >= 12}


def generate(solution_dir=SOLUTION_DIR):
    """The skeleton: {file name: text} for the graded modules and the notebook built from them."""
    from tools import notebook   # imports the grader's contract; only needed here

    files = {name: stub_source((solution_dir / name).read_text(), name) for name in GRADED_MODULES}
    modules = {name.removesuffix('.py'): text for name, text in files.items()}
    handout = HANDOUT.read_text()
    files['assignment.ipynb'] = notebook.render(notebook.build(modules, handout))
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if assignment/ differs from what would be generated')
    args = parser.parse_args(argv)
    stale = [name for name, text in generate().items()
             if not (ASSIGNMENT_DIR / name).exists() or (ASSIGNMENT_DIR / name).read_text() != text]
    if args.check:
        for name in stale:
            print(f'assignment/{name} is out of date: run `make assignment`', file=sys.stderr)
        return 1 if stale else 0
    for name, text in generate().items():
        if name in stale:
            (ASSIGNMENT_DIR / name).write_text(text)
            print(f'wrote assignment/{name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
