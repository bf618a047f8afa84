"""Written answers: a homework's questions answered in prose, graded by hand, read back as data.

A homework's Assignment may hold a Written (its `written`): its questions (number, part,
text, and the points a TA gives by hand, on top of the autograded points) and the figures
its answers pages show. Students answer in a Markdown file the generator writes from the
questions (answers.md), or in a notebook's answer cells, one per question:

    ## Question 3 (Part 4, 2 points)              answers.md: a heading per question,
                                                  its number after "Question";
    > Plot the loss curves with ...               the question, quoted;
                                                  the answer: all that follows,
    My answer.                                    up to the next question's heading

    **Answer to question 3** (Part 4, 2 points)   a notebook: a markdown cell whose
                                                  first line says which question;
    > Plot the loss curves with ...               the question, quoted;
                                                  the answer: the rest of the cell
    My answer.

The quote right below a heading or marker is not part of the answer when it is the
question's text, nor is the placeholder line the generator writes; what is left, stripped,
is the answer, and an empty one is missing. Each answer is cut at MAX_ANSWER characters,
and says so. This module only parses text; intake/answers.py reads it from a submission,
never running anything of it.
"""

import re
import textwrap
from dataclasses import dataclass


MAX_ANSWER = 20_000           # characters of one answer kept
PLACEHOLDER = '*Your answer here.*'
FILE = 'answers.md'
# Possessive runs of blanks: a line of 200,000 spaces is one step, not a quadratic search.
HEADING = re.compile(r'^[ \t]{0,3}#{1,6}[ \t]*+(?:\*\*|__)?[ \t]*+question[ \t]++(\d{1,4})(?!\d).*$',
                     re.IGNORECASE | re.MULTILINE)
MARKER = re.compile(r'^[ \t]*+(?:\*\*|__)?[ \t]*+answer to question[ \t]++(\d{1,4})(?!\d).*$', re.IGNORECASE)
MAX_UNASKED = 10           # numbers a note lists of the headings of questions not asked
CONTROL = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')


@dataclass(frozen=True)
class Question:
    """A question students answer in prose.

    - number: as the handout numbers it
    - part: the number of the part it belongs to (an offering keeps it with its part), or
      None for a question of the whole homework
    - text: the question in Markdown, as the handout says it
    - points: what a TA gives for it by hand, on top of the autograded points
    """

    number: int
    part: int | None
    text: str
    points: float

    @property
    def details(self):
        """'(Part 4, 2 points)'."""
        worth = f'{self.points:g} point{"" if self.points == 1 else "s"}'
        return f'({"" if self.part is None else f"Part {self.part}, "}{worth})'

    @property
    def label(self):
        """'Question 3 (Part 4, 2 points)': the heading of its answer."""
        return f'Question {self.number} {self.details}'


@dataclass(frozen=True)
class Written:
    """A homework's written part.

    - questions: (Question, ...), in order
    - figures: where the table of figures the answers pages show lives, as
      'module:attribute' importable from the homework's root (figures.py says what it
      holds), or None
    - file: the name of the Markdown file students answer in
    """

    questions: tuple = ()
    figures: str | None = None
    file: str = FILE

    @property
    def points(self):
        return sum(question.points for question in self.questions)


@dataclass(frozen=True)
class Answer:
    """One question's answer: its text ('' when missing), where it was read, and how many
    characters past MAX_ANSWER were left out."""

    text: str
    source: str = ''
    cut: int = 0


@dataclass(frozen=True)
class Answers:
    """A submission's answers: {question number: Answer} for every question, and notes on how
    they were read (files that could not be, answers given twice)."""

    questions: tuple
    given: dict
    notes: tuple = ()

    @property
    def answered(self):
        return [question for question in self.questions if self.given[question.number].text]

    @property
    def missing(self):
        return [question for question in self.questions if not self.given[question.number].text]

    @property
    def sources(self):
        """The files the answers shown were read from, in the order of the questions."""
        return list(dict.fromkeys(self.given[question.number].source for question in self.answered))


def written(spec):
    """The Written part of a homework (spec.written), with only the questions of the parts its
    offering holds."""
    found = spec.written
    offered = {part.number for part in spec.parts}
    return Written(tuple(q for q in found.questions if q.part is None or q.part in offered), found.figures,
                   found.file)


def template(questions, title):
    """The text of the Markdown file students answer in: a heading, the question quoted and a
    placeholder line for each question."""
    total = sum(question.points for question in questions)
    lines = [f'# {title}: written answers', '', textwrap.fill(
        'Write each answer below its question, in Markdown, in place of the placeholder line. Keep the '
        'headings as they are: the grader finds your answers by them. Images are not shown to the grader, who '
        'sees the figures your own code draws. '
        f'These {len(questions)} questions are worth {total:g} points, graded by hand on top of the points of '
        'the tests.', 92), '']
    for question in questions:
        lines += [f'## {question.label}', '', *quoted(question.text), '', PLACEHOLDER, '']
    return '\n'.join(lines)


def cell(question):
    """The source of a question's answer cell in a notebook."""
    return '\n'.join([f'**Answer to question {question.number}** {question.details}', '',
                      *quoted(question.text), '', PLACEHOLDER])


def quoted(text):
    """The lines of `text` as a Markdown quote."""
    return [f'> {line}'.rstrip() for line in text.split('\n')]


def from_file(text, questions):
    """({question number: [answer, ...]}, notes) of the text of an answers file: under each
    heading of a question, what follows up to the next question's heading."""
    by_number = {question.number: question for question in questions}
    found, unasked = {}, set()
    headings = list(HEADING.finditer(text))
    for heading, after in zip(headings, [*headings[1:], None]):
        number = int(heading[1])
        if number not in by_number:
            unasked.add(number)
            continue
        found.setdefault(number, []).append(body(text[heading.end():after.start() if after else len(text)],
                                                 by_number[number]))
    shown = ', '.join(map(str, sorted(unasked)[:MAX_UNASKED])) + (' and more' if len(unasked) > MAX_UNASKED else '')
    notes = [f'headings of questions this assignment does not ask were ignored: {shown}'] if unasked else []
    return found, notes


def from_cell(source, questions):
    """(question number, answer) of a notebook's markdown cell that opens with an answer
    marker for one of `questions`; None for any other cell."""
    lines = source.split('\n')
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    marker = MARKER.match(lines[first]) if first is not None else None
    if marker is None:
        return None
    question = next((q for q in questions if q.number == int(marker[1])), None)
    if question is None:
        return None
    return question.number, body('\n'.join(lines[first + 1:]), question)


def body(text, question):
    """The answer in the text below a heading or marker: without the quote of the question
    that opens it and the placeholder line, stripped."""
    lines = text.split('\n')
    start = next((index for index, line in enumerate(lines) if line.strip()), len(lines))
    end = start
    while end < len(lines) and lines[end].lstrip().startswith('>'):
        end += 1
    quote = ' '.join(line.lstrip()[1:] for line in lines[start:end])
    if end > start and _words(quote) == _words(question.text):
        lines = lines[end:]
    else:
        lines = lines[start:]
    return '\n'.join(line for line in lines if line.strip() != PLACEHOLDER).strip()


def _words(text):
    return ' '.join(text.split())


def collect(sources, questions):
    """The Answers of a submission from what each of its files gives.

    Inputs:
    - sources: [(where, {question number: [answer, ...]}), ...], the file to prefer first
    - questions: the Questions asked

    Returns:
    - Answers: each question's answer is the first file's that gives one (a file's several
      answers to one question joined); a later file's other answer is named in the notes
    """
    given, notes = {}, []
    for question in questions:
        texts = [(where, '\n\n'.join(text for text in found.get(question.number, ()) if text))
                 for where, found in sources]
        texts = [(where, text) for where, text in texts if text]
        if not texts:
            given[question.number] = Answer('')
            continue
        where, text = texts[0]
        others = [other for other, answer in texts[1:] if answer != text]
        if others:
            notes.append(f'question {question.number} is answered in {where} and in {", ".join(others)}: '
                         f'the answer in {where} is shown')
        given[question.number] = Answer(text[:MAX_ANSWER], where, max(0, len(text) - MAX_ANSWER))
    return Answers(tuple(questions), given, tuple(notes))


def readable(text):
    """Text read from a submission, fit to show: Unix line ends, no control characters but
    tabs and line ends, lone surrogates as '?'."""
    text = text.replace('\r\n', '\n').replace('\r', '\n')
    return CONTROL.sub('', text).encode('utf-8', 'replace').decode('utf-8')
