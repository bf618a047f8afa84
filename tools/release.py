"""Build what leaves the instructor's hands.

- dist/student/ and dist/student.zip: the skeleton and handout, the public tests, the
  grader runtime, a Makefile, a README and a GitHub Classroom workflow. Nothing of the
  solution or the hidden tests.
- dist/autograder.zip: Gradescope's autograder (setup.sh and run_autograder at the root,
  the grader with every suite, the reference the hidden tests compare with).

Usage: python -m tools.release [--out dist]
"""

import argparse
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {'__pycache__', 'figures', '.ipynb_checkpoints'}
STUDENT_FOLDER = 'backprop-assignment'
EXECUTABLE = {'run_autograder', 'setup.sh'}


def requirements():
    """The pinned dependencies of pyproject.toml, one per line."""
    with open(ROOT / 'pyproject.toml', 'rb') as f:
        return '\n'.join(tomllib.load(f)['project']['dependencies']) + '\n'


def _copy_tree(source, target, leave_out=()):
    """Copy a folder without caches and without the given relative paths."""
    for path in sorted(source.rglob('*')):
        relative = path.relative_to(source)
        if set(relative.parts) & SKIP or any(relative.is_relative_to(p) for p in leave_out):
            continue
        if path.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)


def build_student(out):
    """dist/student/: what a student receives."""
    out.mkdir(parents=True)
    _copy_tree(ROOT / 'assignment', out / 'assignment')
    _copy_tree(ROOT / 'grader', out / 'grader', leave_out=[Path('suites/hidden')])
    _copy_tree(ROOT / 'release' / 'student', out)
    (out / 'requirements.txt').write_text(requirements())
    return out


def build_autograder(out):
    """The folder zipped into dist/autograder.zip."""
    out.mkdir(parents=True)
    for name in ('assignment', 'grader', 'solution'):
        _copy_tree(ROOT / name, out / name)
    _copy_tree(ROOT / 'release' / 'autograder', out)
    (out / 'requirements.txt').write_text(requirements())
    return out


def zip_folder(folder, archive, prefix=''):
    """Zip a folder's files under `prefix`, keeping scripts executable."""
    with zipfile.ZipFile(archive, 'w', zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob('*')):
            if path.is_file():
                info = zipfile.ZipInfo(str(Path(prefix) / path.relative_to(folder)), date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = (0o755 if path.name in EXECUTABLE else 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())


def build(dist):
    """Build every release artifact into `dist` (emptied first)."""
    dist = Path(dist)
    shutil.rmtree(dist, ignore_errors=True)
    student = build_student(dist / 'student')
    zip_folder(student, dist / 'student.zip', STUDENT_FOLDER)
    staging = build_autograder(dist / 'autograder')
    zip_folder(staging, dist / 'autograder.zip')
    shutil.rmtree(staging)
    return dist


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', type=Path, default=ROOT / 'dist')
    args = parser.parse_args(argv)
    dist = build(args.out)
    for name in ('student', 'student.zip', 'autograder.zip'):
        print(f'built {dist / name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
