"""The figures a submission's own code draws, for a TA to read beside its written answers.

A homework names a table of figures (answers.Written.figures, 'module:attribute',
importable from its root): a sequence of (file names, module, draw), where `draw` is given
the submission's `module` and returns a matplotlib Figure, or a tuple of one per file
name. The drawing functions are the homework's own code, trusted; they reach the
submission only through the seam, so its code runs in the confined worker every grading
runs it in (sandbox/isolation.py: WorkerBackend, after the same check of what the worker
could read), and only plain data comes back.

That data is the submission's, and the drawing code was not written to withstand any:
labels of 10^9 would make it allocate a colour level each. So each submission's figures
are drawn in a child process of their own, within MEMORY bytes and a time limit, which
writes the PNGs to a folder of the grader's; a figure that fails says why, a child that
fails or is stopped costs that submission its figures, never the command.
"""

import importlib
import json
import multiprocessing
import re
import resource
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .grading import HarnessError, IsolationError, check_isolation, covered, limits_of, secret_paths
from .intake.submission import SubmissionError, prepare
from .sandbox.confinement import choose_sandbox
from .sandbox.isolation import GIB, MIB, SandboxError, WorkerBackend
from .sandbox.processes import descendants, kill_if, state
from .seam import Student, StudentFailure
from .text import clean

MEMORY = 4 * GIB              # address space of the process that draws one submission's figures
MAX_PNG = 16 * MIB            # bytes of one figure read back
MAX_REASON = 300              # characters of why a figure was not drawn
DPI = 100
NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.png')
PNG = b'\x89PNG\r\n\x1a\n'
REPORT = 'figures.json'
# Seconds the drawing may take beyond the submission's own time (the worker's budget, which
# the wall clock may exceed up to isolation.WALL_FACTOR times on a busy machine).
DRAWING = 120


@dataclass(frozen=True)
class Figures:
    """What was drawn of a submission's figures.

    - drawn: [(file name, PNG bytes)], in the table's order
    - not_drawn: {file name: why}, for the figures its code could not draw
    - error: why none was drawn at all (the submission could not be read, the drawing was
      stopped), or None
    """

    drawn: list = field(default_factory=list)
    not_drawn: dict = field(default_factory=dict)
    error: str | None = None


def draw(spec, source, table, sandbox='auto', limits=None, others=None, timeout=None):
    """The figures of one submission, drawn in a child process.

    Inputs:
    - spec: the engine.spec.Assignment
    - source: the submission (a folder, a .zip or a .ipynb)
    - table: 'module:attribute' of the homework's table of figures
    - sandbox: 'auto', 'bwrap' or 'none', as for grading
    - limits: the worker's sandbox.isolation.Limits (default: grading.limits_of(spec))
    - others: {path: what} the worker must not read either (a batch's folders)
    - timeout: seconds before the child is stopped (default: from the limits' budget)

    Returns:
    - Figures

    Raises IsolationError when the worker could read what it must not (as grading does).
    """
    limits = limits or limits_of(spec)
    timeout = timeout or 3 * limits.budget + DRAWING
    with tempfile.TemporaryDirectory(prefix='grader-figures-') as folder:
        child = multiprocessing.get_context('forkserver').Process(
            target=_child, args=(spec, Path(source), table, sandbox, limits, others or {}, Path(folder)))
        child.start()
        child.join(timeout)
        if child.is_alive():
            _stop(child)
            return Figures(error=f'the figures were not drawn within {timeout:g} s, and the drawing was stopped')
        return _read(Path(folder), child.exitcode)


def _stop(child):
    """Kill a drawing child and every process under it (its worker), deepest first."""
    for pid in reversed([child.pid, *descendants(child.pid)]):
        kill_if(pid, lambda pid=pid: state(pid) not in ('Z', None))
    child.join()


def _read(folder, exitcode):
    """The Figures a child left in `folder`; nothing of it is believed but names and PNGs."""
    try:
        report = json.loads((folder / REPORT).read_text()[:MIB])
        drawn, not_drawn, error = report['drawn'], report['not_drawn'], report['error']
    except (OSError, ValueError, KeyError, TypeError):
        return Figures(error=f'the figures could not be drawn (the drawing process ended with exit code {exitcode})')
    figures = Figures(error=clean(error, MAX_REASON) if isinstance(error, str) else None)
    for name in drawn if isinstance(drawn, list) else []:
        path = folder / str(name)
        if isinstance(name, str) and NAME.fullmatch(name) and path.is_file() and path.stat().st_size <= MAX_PNG:
            data = path.read_bytes()
            if data.startswith(PNG):
                figures.drawn.append((name, data))
    for name, why in (not_drawn.items() if isinstance(not_drawn, dict) else ()):
        if isinstance(name, str) and NAME.fullmatch(name):
            figures.not_drawn[name] = clean(why, MAX_REASON)
    return figures


def _child(spec, source, table, sandbox, limits, others, folder):
    """Draw in the child process: write the PNGs and figures.json to `folder`."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY if hard == resource.RLIM_INFINITY else min(MEMORY, hard), hard))
    report = {'drawn': [], 'not_drawn': {}, 'error': None}
    try:
        report.update(_draw(spec, source, load_table(spec, table), sandbox, limits, others, folder))
    except IsolationError as error:
        report['error'] = f'not drawn here: {str(error).splitlines()[0]}'
    except SubmissionError as error:
        report['error'] = f'the submission could not be read: {error}'
    except (HarnessError, SandboxError) as error:
        report['error'] = f'no worker could run the submission: {error}'
    (folder / REPORT).write_text(json.dumps(report))


def load_table(spec, table):
    """The homework's table of figures named 'module:attribute', imported from its root."""
    module, _, attribute = table.partition(':')
    if spec.root is not None and str(spec.root) not in sys.path:
        sys.path.insert(0, str(spec.root))
    return getattr(importlib.import_module(module), attribute)


def _draw(spec, source, table, sandbox, limits, others, folder):
    """{'drawn': [...], 'not_drawn': {...}} of the figures drawn with the submission's modules."""
    requested, sandbox = sandbox, choose_sandbox(sandbox)
    with tempfile.TemporaryDirectory(prefix='grader-') as workdir:
        submission = prepare(source, workdir, spec)
        secrets = {**secret_paths(spec, workdir, sandbox), **others}
        backend = WorkerBackend(submission.root, spec.package, limits, sandbox, hidden=covered(spec, secrets))
        try:
            check_isolation(backend, secrets, requested, strict=True)
            student = Student(backend, spec.modules)
            student.new_test(training=True)
            return _each(table, student, {module.name for module in spec.modules}, folder)
        finally:
            backend.close()


def _each(table, student, modules, folder):
    drawn, not_drawn = [], {}
    for names, module, function in table:
        if module not in modules:
            continue
        try:
            made = function(getattr(student, module))
            for name, figure in zip(names, made if isinstance(made, tuple) else (made,)):
                if NAME.fullmatch(name):
                    figure.savefig(folder / name, format='png', dpi=DPI)
                    drawn.append(name)
        except StudentFailure as failure:
            not_drawn.update(dict.fromkeys(names, failure.message))
        except Exception as error:  # noqa: BLE001 - whatever the submission's data do to the drawing, one figure fails
            kind = next(kind.__name__ for kind in type(error).__mro__ if not kind.__name__.startswith('_'))
            message = str(error).strip().split('\n')[0]
            not_drawn.update(dict.fromkeys(names, f'{kind}: {message}' if message else kind))
    return {'drawn': drawn, 'not_drawn': not_drawn}
