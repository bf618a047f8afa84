"""The handout's parts that come from the spec, and its sections by name.

Four regions of assignment/README.md are generated between markers, so that the handout
never disagrees with grader/spec.py: the table of parts (points, files, functions), the
table of the training tasks (hyper-parameters, the reference's accuracy, the threshold),
Part 8's budget, and the questions students answer in prose. The heading of each part
carries its title and points from the spec too. Everything else is written by hand.

Sections are found by their headings, never by position: `## Part N — ...` holds the
part's functions and its derivations, so that an offering of some parts keeps exactly
their sections, and the notebook puts each derivation next to its code.
"""

import ast
import re

from grader.engine import grading
from grader.engine.output import gradescope
from grader.spec import MODELS, TUNED
from tools import answers

PART_HEADING = re.compile(r'(?m)^## Part (?P<number>\d+) — (?P<title>.*?) \((?P<points>[\d.]+) points?\)(?P<rest>.*)$')


def region(text, name, content):
    """`text` with the lines between `<!-- BEGIN name ... -->` and `<!-- END name -->` replaced."""
    pattern = re.compile(rf'(?s)(<!-- BEGIN {name}\b[^\n]*-->\n).*?(<!-- END {name} -->)')
    if not pattern.search(text):
        raise ValueError(f'the handout has no generated region {name!r}')
    return pattern.sub(lambda match: match.group(1) + content + match.group(2), text)


def written_functions(spec):
    """The names of the reference's functions that students write: those with a solution block."""
    written = set()
    for module in spec.modules:
        source = (spec.root / spec.solution / module.file).read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and '# BEGIN SOLUTION' in ast.get_source_segment(source, node):
                written.add(node.name)
    return written


def functions_cell(part, written):
    """What a part asks for: the graded functions students write, then their helpers, then
    the graded functions the skeleton gives written."""
    cell = ', '.join(f'`{name}`' for name in part.functions if name in written)
    helpers = [name for name in part.helpers if name in written]
    given = [name for name in part.functions if name not in written]
    if helpers:
        cell += '; helpers ' + ', '.join(f'`{name}`' for name in helpers)
    if given:
        cell += '; given ' + ', '.join(f'`{name}`' for name in given)
    return cell


def parts_table(spec):
    """The Markdown table of the parts: number and title, files, what to write (the graded
    functions, the helpers graded through them, and the graded functions given written),
    points, of which the public tests are worth (read from the suites' marks), and the totals."""
    public = grading.points_by_part(spec)
    written = written_functions(spec)
    rows = ['| Part | File | You write | Points | Public tests |', '|---|---|---|---|---|']
    for part in spec.parts:
        files = [module.file for module in spec.modules if set(part.functions) & set(module.functions)]
        functions = functions_cell(part, written)
        rows.append(f'| {part.name} | {", ".join(f"`{f}`" for f in files)} | {functions} | {part.points:g} '
                    f'| {public[part.name]:g} |')
    rows.append(f'| | | **Total** | **{spec.points:g}** | **{gradescope.points(sum(public.values())):g}** |')
    rows.append('')
    rows.append(f'`make grade` runs the public tests: they are worth {gradescope.points(sum(public.values())):g} '
                f'of the {spec.points:g} points. Hidden tests, run when you hand in, grade the rest.')
    return '\n'.join(rows) + '\n'


def model_name(task):
    """How the handout names the network a task trains."""
    return TUNED if task.model == 'tuned' else MODELS[task.model].described.format(shape=task.shape)


def tasks_table(tasks, thresholds):
    """The Markdown table of the training tasks the grader checks: every hyper-parameter, what
    the reference reaches over the calibrated seeds and the least the grader accepts."""
    rows = ['| task | model | hyper-parameters | reference, mean (min) | threshold |', '|---|---|---|---|---|']
    for task in tasks.values():
        fit = ', '.join(f'`{key}={value!r}`' for key, value in task.fit.items()) or 'yours'
        calibration = thresholds[task.name]
        rows.append(f'| {task.name} | {model_name(task)} | {fit} | '
                    f'{calibration["mean"]:.3f} ({calibration["min"]:.3f}) | {calibration["threshold"]} |')
    return '\n'.join(rows) + '\n'


def budget_table(tuning):
    """The Markdown table of Part 8's limits."""
    budget = tuning['budget']
    return '\n'.join([
        '| limit | formula | at most |', '|---|---|---|',
        f'| arithmetic | `num_epochs * 1000 * n_w` | {budget["weight_passes"]:,} |',
        f'| gradient steps | `num_epochs * ceil(1000 / batch_size)` | {budget["steps"]:,} |',
        f'| hidden layers | `len(hidden_sizes)` | {budget["hidden_layers"]} |',
        f'| width | every entry of `hidden_sizes` | {budget["hidden_size"]} |']) + '\n'


def with_spec(text, spec, homework):
    """The handout with its generated regions and part headings brought up to date.

    homework: the homework's spec module (TASKS, THRESHOLDS, TUNING)
    """
    text = region(text, 'parts', parts_table(spec))
    text = region(text, 'tasks', tasks_table(homework.TASKS, homework.THRESHOLDS))
    text = region(text, 'budget', budget_table(homework.TUNING))
    text = region(text, 'questions', answers.questions_list(spec))
    parts = {part.number: part for part in spec.parts}

    def heading(match):
        part = parts.get(int(match['number']))
        if part is None:
            return match.group(0)
        return f'## Part {part.number} — {part.title} ({part.points:g} points){match["rest"]}'
    return PART_HEADING.sub(heading, text)


def sections(text):
    """(introduction, {heading line: section text}) of the handout's `## ` sections."""
    chunks = re.split(r'(?m)^(?=## )', text)
    return chunks[0], {chunk.split('\n', 1)[0]: chunk for chunk in chunks[1:]}


def part_number(heading):
    """The part a `## Part N — ...` heading opens, or None."""
    match = PART_HEADING.match(heading)
    return int(match['number']) if match else None


def without_parts(text, numbers):
    """The handout without the sections of the parts not in `numbers`."""
    intro, found = sections(text)
    return intro + ''.join(section for heading, section in found.items()
                           if part_number(heading) is None or part_number(heading) in numbers)
