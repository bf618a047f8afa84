"""The written part of the homework, as students receive it: assignment/answers.md, the
notebook's answer cells and the handout's list of questions, all from the spec's written
part (WRITTEN in grader/spec.py), in the format grader/engine/answers.py reads back.

An offering (some parts only) keeps the questions of its parts.
"""

import textwrap

import nbformat

from grader.engine import answers
from grader.spec import SPEC


def questions(spec=SPEC):
    """The Questions of the parts `spec` offers."""
    return answers.written(spec).questions


def answers_file(spec=SPEC):
    """The text of assignment/answers.md."""
    return answers.template(questions(spec), spec.title)


def answer_cells(spec=SPEC):
    """[markdown cell]: one answer cell per question, for the notebook (tools/notebook.py)."""
    return [nbformat.v4.new_markdown_cell(answers.cell(question)) for question in questions(spec)]


def questions_list(spec=SPEC, width=92):
    """The handout's numbered list of the questions, each with its part and points, wrapped."""
    items = [textwrap.fill(f'{question.number}. *{question.details}* {question.text}', width,
                           subsequent_indent=' ' * len(f'{question.number}. '), break_long_words=False,
                           break_on_hyphens=False)
             for question in questions(spec)]
    return '\n'.join(items) + '\n'
