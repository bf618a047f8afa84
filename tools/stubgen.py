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

It also brings the handout's generated regions up to date (tools/handout.py), builds
assignment.ipynb, the notebook form: the handout as markdown, one code cell per stub
(tools/notebook.py), and writes answers.md, where students answer the spec's questions
(tools/answers.py). Which modules, where the reference and the skeleton live: the spec.

Usage: python -m tools.stubgen [--check]
"""

import argparse
import re
import sys
from pathlib import Path

from grader.engine import spec as specs

HOMEWORK = Path(__file__).resolve().parent.parent / 'grader'

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


def secret_lines(solution_dir):
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


def generate(spec):
    """{path relative to spec.root: text} of everything generated from the reference and the spec:
    the skeleton's modules, the handout, the notebook of both, and the answers file."""
    from grader import spec as homework
    from tools import answers, handout, notebook   # they import this homework's spec; the tiny one needs none

    solution, skeleton = spec.root / spec.solution, Path(spec.skeleton)
    files = {skeleton / module.file: stub_source((solution / module.file).read_text(), module.file)
             for module in spec.modules}
    text = handout.with_spec((spec.root / spec.handout).read_text(), spec, homework)
    files[Path(spec.handout)] = text
    modules = {module.name: files[skeleton / module.file] for module in spec.modules}
    files[skeleton / 'assignment.ipynb'] = notebook.render(notebook.build(modules, text, spec))
    files[skeleton / spec.written.file] = answers.answers_file(spec)
    return files


def stubs(spec):
    """{path relative to spec.root: text} of the skeleton's modules alone (any assignment)."""
    solution = spec.root / spec.solution
    return {Path(spec.skeleton) / module.file: stub_source((solution / module.file).read_text(), module.file)
            for module in spec.modules}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if the skeleton or the handout differs from what would be generated')
    parser.add_argument('--assignment', type=Path, default=HOMEWORK, help='folder of the homework (its spec.py)')
    args = parser.parse_args(argv)
    spec = specs.load(args.assignment)
    files = generate(spec) if args.assignment.resolve() == HOMEWORK else stubs(spec)
    stale = [path for path, text in files.items()
             if not (spec.root / path).exists() or (spec.root / path).read_text() != text]
    if args.check:
        for path in stale:
            print(f'{path} is out of date: run `make assignment`', file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        (spec.root / path).parent.mkdir(parents=True, exist_ok=True)
        (spec.root / path).write_text(files[path])
        print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
