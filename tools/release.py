"""Build what leaves the instructor's hands, for all the parts or an offering of some.

- dist/student/ and dist/student.zip: the skeleton and handout, a Makefile, a README, a
  GitHub Classroom workflow, and grader/ without grader/suites/hidden/: the engine, the
  spec, and the public tests with their data. Everything that stays with the instructor
  (the hidden tests, the diagnoses, the replays, the grader's own networks) lives in that
  one folder; the reference in solution/.
- dist/autograder.zip: Gradescope's autograder (setup.sh and run_autograder at the root,
  the grader with every suite, the reference the hidden tests compare with).

With --parts 1-5, both hold only those parts: the skeleton's modules, the handout's table
and sections, the notebook and the suite files of those parts, and grader/offering.json,
which makes the engine grade them alone (their points are the total).

Usage: python -m tools.release [--out dist] [--parts 1-5]
"""

import argparse
import ast
import json
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

from grader.engine import spec as specs
from grader.spec import SPEC
from tools import answers, handout, notebook, stubgen

ROOT = Path(__file__).resolve().parent.parent
SKIP = {'__pycache__', 'figures', '.ipynb_checkpoints'}
STUDENT_FOLDER = 'backprop-assignment'
EXECUTABLE = {'run_autograder', 'setup.sh'}


def requirements(extra=None):
    """The pinned runtime dependencies of pyproject.toml (not the dev extra), or those of an
    optional extra such as 'notebook', one per line."""
    with open(ROOT / 'pyproject.toml', 'rb') as f:
        project = tomllib.load(f)['project']
    return '\n'.join(project['optional-dependencies'][extra] if extra else project['dependencies']) + '\n'


def _copy_tree(source, target, keep=lambda relative: True):
    """Copy a folder's files without caches, keeping those whose relative path `keep` accepts."""
    for path in sorted(source.rglob('*')):
        relative = path.relative_to(source)
        if path.is_file() and not set(relative.parts) & SKIP and keep(relative):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)


def suite_parts(path, spec):
    """The numbers of the parts whose tests a suite file holds, read from its points marks."""
    parts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == 'points'
                and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
            parts.add(spec.part_of(node.args[1].value).number)
    return parts


def grader_files(spec, offered, hidden):
    """A `keep` for grader/: the engine and the homework, the suite files of the offered
    parts only, and the instructor's folder grader/suites/hidden/ only when `hidden`."""
    def keep(relative):
        if relative.parts[:2] == ('suites', 'hidden') and not hidden:
            return False
        if relative.name.startswith('test_') and relative.suffix == '.py':
            parts = suite_parts(ROOT / 'grader' / relative, spec)
            if parts - offered and parts & offered:
                raise ValueError(f'{relative} mixes parts {sorted(parts)}: split it so that an offering keeps whole files')
            return parts <= offered
        return relative.name != specs.OFFERING
    return keep


def skeleton(out, offering):
    """The offering's skeleton, handout, notebook and answers file in out/assignment/."""
    modules = {module.file for module in offering.modules}
    leave_out = {module.file for module in SPEC.modules} - modules
    _copy_tree(ROOT / 'assignment', out / 'assignment',
               keep=lambda relative: relative.name not in leave_out | {'README.md', 'assignment.ipynb', 'answers.md'})
    if answers.questions(offering):
        (out / 'assignment' / 'answers.md').write_text(answers.answers_file(offering))
    numbers = {part.number for part in offering.parts}
    text = handout.region(handout.without_parts((ROOT / SPEC.handout).read_text(), numbers), 'parts',
                          handout.parts_table(offering))
    text = handout.region(text, 'questions', answers.questions_list(offering))
    (out / 'assignment' / 'README.md').write_text(text)
    sources = {module.name: stubgen.stub_source((ROOT / 'solution' / module.file).read_text(), module.file)
               for module in offering.modules}
    (out / 'assignment' / 'assignment.ipynb').write_text(notebook.render(notebook.build(sources, text, offering)))


def build_student(out, offering):
    """dist/student/: what a student receives."""
    out.mkdir(parents=True)
    skeleton(out, offering)
    offered = {part.number for part in offering.parts}
    _copy_tree(ROOT / 'grader', out / 'grader', keep=grader_files(SPEC, offered, hidden=False))
    _copy_tree(ROOT / 'release' / 'student', out)
    (out / 'requirements.txt').write_text(requirements())
    (out / 'requirements-notebook.txt').write_text(requirements('notebook'))
    _write_offering(out, offering)
    return out


def build_autograder(out, offering):
    """The folder zipped into dist/autograder.zip."""
    out.mkdir(parents=True)
    skeleton(out, offering)
    offered = {part.number for part in offering.parts}
    _copy_tree(ROOT / 'grader', out / 'grader', keep=grader_files(SPEC, offered, hidden=True))
    _copy_tree(ROOT / 'solution', out / 'solution')
    _copy_tree(ROOT / 'release' / 'autograder', out)
    (out / 'requirements.txt').write_text(requirements())
    _write_offering(out, offering)
    return out


def _write_offering(out, offering):
    if len(offering.parts) < len(SPEC.parts):
        (out / 'grader' / specs.OFFERING).write_text(json.dumps({'parts': [p.number for p in offering.parts]}) + '\n')


def zip_folder(folder, archive, prefix=''):
    """Zip a folder's files under `prefix`, keeping scripts executable."""
    with zipfile.ZipFile(archive, 'w', zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob('*')):
            if path.is_file():
                info = zipfile.ZipInfo(str(Path(prefix) / path.relative_to(folder)), date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = (0o755 if path.name in EXECUTABLE else 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())


def build(dist, parts=None):
    """Build every release artifact into `dist` (emptied first), for the parts numbered
    `parts` (all by default)."""
    dist = Path(dist)
    offering = SPEC.offering(parts) if parts else SPEC
    shutil.rmtree(dist, ignore_errors=True)
    student = build_student(dist / 'student', offering)
    zip_folder(student, dist / 'student.zip', STUDENT_FOLDER)
    staging = build_autograder(dist / 'autograder', offering)
    zip_folder(staging, dist / 'autograder.zip')
    shutil.rmtree(staging)
    return dist


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', type=Path, default=ROOT / 'dist')
    parser.add_argument('--parts', type=specs.parse_parts, help='the parts to release, e.g. 1-5 (default: all)')
    args = parser.parse_args(argv)
    dist = build(args.out, args.parts)
    for name in ('student', 'student.zip', 'autograder.zip'):
        print(f'built {dist / name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
