"""What the README, SECURITY.md and the handout state is what the grader and the reference do:
the limits, and the signature of every function the handout lists."""

import ast
import importlib
import inspect
import re

from grader.engine.sandbox.isolation import GIB, MIB, Limits
from grader.spec import SPEC

ROOT = SPEC.root


def seconds(value):
    return f'{value:g} s'


def test_the_limits_table_states_the_limits_the_worker_gets():
    """SECURITY.md's table of limits gives the defaults of Limits and the spec's training time."""
    table = (ROOT / 'SECURITY.md').read_text()
    defaults = Limits()
    rows = {
        'time per call (the submission': seconds(defaults.call_timeout),
        'time per call in training tests': seconds(SPEC.training_timeout),
        'time to import one module': seconds(defaults.import_timeout),
        'time of all calls of one submission': seconds(defaults.budget),
        'memory of all processes': f'{defaults.memory // GIB} GiB',
        'processes of a submission at once': str(defaults.processes),
        'files written, all together / one file': f'{defaults.disk // MIB} MiB / {defaults.file_size // MIB} MiB',
        'CPU time of each process': seconds(defaults.cpu),
    }
    for start, value in rows.items():
        row = next(line for line in table.splitlines() if line.startswith(f'| {start}'))
        assert row.split('|')[2].strip() == value, row


def test_the_readme_and_the_handout_state_the_time_limits():
    """The README's isolation section and the handout's Part 6 give the same time limits as the grader."""
    readme = (ROOT / 'README.md').read_text()
    limits = Limits()
    stated = (f'(10 s; {SPEC.training_timeout:g} s in training tests) and each submission a budget '
              f'({limits.budget:g} s)')
    assert stated.replace('10 s', seconds(limits.call_timeout)) in ' '.join(readme.split())
    handout = ' '.join((ROOT / SPEC.handout).read_text().split())
    said = re.search(r'allows each training call about (\d+) seconds', handout)
    assert said and float(said.group(1)) == SPEC.training_timeout


# A list item or table cell that opens with a call: `name(arguments)`; '...' elides them.
SIGNATURE_LINE = re.compile(r'^(?:- |\| )`(\w+)\(([^`]*)\)`', re.M)


def parameters(text):
    """[(name, default or None)] of an argument list written as in a def, defaults evaluated."""
    arguments = ast.parse(f'def f({text}): pass').body[0].args
    defaults = [None] * (len(arguments.args) - len(arguments.defaults)) + arguments.defaults
    return [(argument.arg, None if default is None else ast.literal_eval(default))
            for argument, default in zip(arguments.args, defaults)]


def reference_functions():
    """{name: function} of every function defined in the reference's modules."""
    functions = {}
    for module in SPEC.modules:
        loaded = importlib.import_module(f'{SPEC.solution}.{module.name}')
        functions.update({name: value for name, value in vars(loaded).items()
                          if inspect.isfunction(value) and value.__module__ == loaded.__name__})
    return functions


def test_the_handout_lists_every_graded_function_with_the_reference_signature():
    """Every function the handout lists as `name(arguments)` has the reference's parameters and
    defaults, and every graded function is listed."""
    handout = (ROOT / SPEC.handout).read_text()
    functions = reference_functions()
    listed = set()
    for match in SIGNATURE_LINE.finditer(handout):
        name, written = match.groups()
        assert name in functions, f'the handout lists {name}(...), which the reference does not define'
        listed.add(name)
        if written.strip() != '...':
            reference = str(inspect.signature(functions[name]))[1:-1]
            assert parameters(written) == parameters(reference), (name, written, reference)
    graded = {name for part in SPEC.parts for name in part.functions}
    assert graded - listed <= {'tuned_hyperparameters'}, sorted(graded - listed)


def test_the_readme_states_the_calibrated_accuracies_and_thresholds():
    """Every row of the README's table of the reference's accuracy gives that task's numbers
    from grader/thresholds.json, and every task has a row."""
    from grader.spec import TASKS, THRESHOLDS
    readme = (ROOT / 'README.md').read_text()
    rows = {line.split('|')[1].strip().split(' (')[0]: line.split('|')[3:5] for line in readme.splitlines()
            if line.startswith('| ') and line.count('|') == 5}
    for name in TASKS:
        calibration = THRESHOLDS[name]
        accuracy, threshold = (cell.strip() for cell in rows[name])
        assert accuracy == f'{calibration["mean"]:.3f} ({calibration["min"]:.3f})', name
        assert threshold == f'{calibration["threshold"]:.2f} ({calibration["margin"]:.3f})', name


def test_the_readme_states_no_split_of_the_points_the_spec_does_not_have():
    """Where the README speaks of the parts' points or the public suite's, the numbers are the spec's."""
    from grader.engine import grading
    from grader.engine.output import gradescope
    readme = ' '.join((ROOT / 'README.md').read_text().split())
    public = gradescope.points(sum(grading.points_by_part(SPEC).values()))
    for stated in re.findall(r'public (?:suite|tests) (?:is|are) worth ([\d.]+)', readme):
        assert float(stated) == public
    for stated in re.findall(r'split as the handout says \(([^)]*)\)', readme):
        assert [float(x) for x in stated.split(',')] == [part.points for part in SPEC.parts]
    assert f'{SPEC.points:g} points' in readme


def test_every_function_students_write_is_graded_or_a_parts_helper():
    """A stub of the skeleton is a part's graded function or one of its helpers, and a helper
    says in its docstring that it is graded through the functions built on it."""
    from tools.handout import written_functions
    written = written_functions(SPEC)
    graded = {name for part in SPEC.parts for name in part.functions}
    helpers = {name for part in SPEC.parts for name in part.helpers}
    assert written <= graded | helpers, sorted(written - graded - helpers)
    assert helpers <= written
    functions = reference_functions()
    for name in helpers:
        assert 'Not graded on its own' in functions[name].__doc__, name
