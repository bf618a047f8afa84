"""Written answers: the questions of the spec as students receive them (answers.md, the
notebook's answer cells, the handout), read back from folders, zips and notebooks without
running anything, shown on self-contained pages beside the figures each submission's own
code draws in the sandbox, and in the Gradescope output, where they never change the score."""

import html
import json
import re
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

from grader.engine import answers, figures
from grader.engine.answers import Answer, Answers, Question
from grader.engine.intake.answers import read
from grader.engine.output import answers_page, gradescope
from grader.engine.spec import load
from grader.spec import QUESTIONS, SPEC, WRITTEN
from tests.submissions import ROOT
from tools import answers as students

LSQ = ROOT / 'tests' / 'least_squares'
# The tiny homework with a written part: two questions of its parts, one of the whole, and
# figures drawn from its functions (the second as carelessly as real drawing code may be).
LSQ_WRITTEN = '''
from dataclasses import replace

from grader.engine.answers import Question, Written
SPEC = replace(SPEC, written=Written((Question(1, 1, 'Why do the *normal equations* hold?', 2),
                                      Question(2, 2, 'What does `predict` return?', 1),
                                      Question(3, None, 'What would you try next?', 1)), figures='lsq_figures:FIGURES'))
'''
LSQ_FIGURES = '''
import numpy as np
from matplotlib.figure import Figure


def weights(regression):
    w = regression.fit_weights(np.eye(3), np.arange(3.0))
    figure = Figure()
    figure.subplots().plot(np.asarray(w))
    return figure


def levels(regression):
    labels = np.asarray(regression.predict(np.eye(2), np.ones(2)))
    figure = Figure()
    figure.subplots().plot(np.arange(int(labels.max()) + 2))   # one level per label, as a contour plot makes
    return figure


FIGURES = ((('weights.png',), 'regression', weights), (('levels.png',), 'regression', levels))
'''
HOSTILE = '<script>alert("x")</script><img src="https://example.com/a.png">'


def filled(questions, answered, extra=''):
    """The generated answers file with `answered` ({number: text}) written in place of the placeholders."""
    text = answers.template(questions, 'Homework')
    for number, answer in answered.items():
        head = next(q for q in questions if q.number == number).label
        start = text.index(f'## {head}\n')
        at = text.index(answers.PLACEHOLDER, start)
        text = text[:at] + answer + text[at + len(answers.PLACEHOLDER):]
    return text + extra


def answered_notebook(path, questions, answered, code=''):
    """A notebook with a code cell and an answer cell per question, `answered` written in."""
    cells = [nbformat.v4.new_code_cell(code or 'import numpy as np')]
    for question in questions:
        source = answers.cell(question)
        if question.number in answered:
            source = source.replace(answers.PLACEHOLDER, answered[question.number])
        cells.append(nbformat.v4.new_markdown_cell(source))
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)))
    return path


def texts(found):
    return {number: answer.text for number, answer in found.given.items() if answer.text}


# The questions as students receive them

def test_answers_md_has_a_heading_and_an_empty_answer_for_every_question_of_the_spec():
    text = (ROOT / 'assignment' / 'answers.md').read_text()
    assert text == students.answers_file()
    headings = re.findall(r'(?m)^## Question (\d+) \(Part (\d+), (\d+) points?\)$', text)
    assert [(int(n), int(p), int(points)) for n, p, points in headings] == [
        (q.number, q.part, q.points) for q in QUESTIONS]
    for question in QUESTIONS:
        assert f'> {question.text}' in text
    found, notes = answers.from_file(text, QUESTIONS)
    assert sorted(found) == [q.number for q in QUESTIONS] and not notes
    assert all(given == [''] for given in found.values())


def test_the_handout_asks_the_questions_of_the_spec():
    """The handout's list, written by hand or generated with each question's part and points,
    says what the spec says."""
    section = (ROOT / SPEC.handout).read_text().split('## Questions to think about\n')[1].split('\n## ')[0]
    section = re.sub(r'<!--.*?-->', '', section)
    items = [item for item in re.split(r'(?m)^(?=\d+\. )', section.strip()) if re.match(r'\d+\. ', item)]
    listed = {}
    for item in items:
        number, text = re.match(r'(\d+)\. (.*)', item, re.DOTALL).groups()
        text = re.sub(r'^\*\(Part \d+, [\d.]+ points?\)\* ', '', ' '.join(text.split()))
        listed[int(number)] = text
    assert listed == {q.number: ' '.join(q.text.split()) for q in QUESTIONS}


def test_the_generated_list_reads_back_as_the_spec():
    listed = students.questions_list()
    items = re.split(r'(?m)^(?=\d+\. )', listed)[1:]
    assert [' '.join(item.split()) for item in items] == [f'{q.number}. *{q.details}* {" ".join(q.text.split())}'
                                                        for q in QUESTIONS]
    assert max(map(len, listed.splitlines())) <= 92


def test_every_question_belongs_to_a_part_and_an_offering_keeps_its_own():
    numbers = {part.number for part in SPEC.parts}
    assert all(q.part in numbers and q.points > 0 for q in QUESTIONS)
    assert [q.number for q in QUESTIONS] == list(range(1, len(QUESTIONS) + 1))
    assert WRITTEN.points == sum(q.points for q in QUESTIONS)
    offering = SPEC.offering([1, 2, 3, 4, 5])
    assert [q.part for q in students.questions(offering)] == [4] * 5
    assert '## Question 6' not in students.answers_file(offering)
    assert students.questions(SPEC.offering([1, 2, 3])) == ()


def test_a_release_of_some_parts_ships_the_questions_of_those_parts(tmp_path):
    from tools import release
    release.skeleton(tmp_path / 'some', SPEC.offering([1, 2, 3, 4, 5]))
    shipped = (tmp_path / 'some' / 'assignment' / 'answers.md').read_text()
    assert shipped == students.answers_file(SPEC.offering([1, 2, 3, 4, 5])) and shipped.count('## Question') == 5
    release.skeleton(tmp_path / 'none', SPEC.offering([1, 2, 3]))
    assert not (tmp_path / 'none' / 'assignment' / 'answers.md').exists()


def test_the_notebook_answer_cells_read_back_as_their_question():
    cells = students.answer_cells()
    assert len(cells) == len(QUESTIONS) and all(cell.cell_type == 'markdown' for cell in cells)
    for cell, question in zip(cells, QUESTIONS):
        assert answers.from_cell(cell.source, QUESTIONS) == (question.number, '')
        assert answers.from_cell(cell.source.replace(answers.PLACEHOLDER, 'Because.'), QUESTIONS) == (
            question.number, 'Because.')


def test_the_figures_table_of_the_homework_draws_from_its_modules():
    table = figures.load_table(SPEC, WRITTEN.figures)
    modules = {module.name for module in SPEC.modules}
    assert table and all(module in modules for _, module, _ in table)
    assert all(figures.NAME.fullmatch(name) for names, _, _ in table for name in names)


# Reading answers back

def test_answers_from_a_folder_a_zip_and_a_notebook(tmp_path):
    given = {1: 'Because **the gradient** vanishes.\n\n- one\n- two', 3: 'Momentum: see below.\n\n> my quote'}
    folder = tmp_path / 'work'
    shutil.copytree(ROOT / 'solution', folder, ignore=shutil.ignore_patterns('__pycache__'))
    (folder / 'answers.md').write_text(filled(QUESTIONS, given))
    found = read(folder, QUESTIONS)
    assert texts(found) == given
    assert [q.number for q in found.missing] == [q.number for q in QUESTIONS if q.number not in given]
    assert found.sources == ['answers.md'] and not found.notes

    with zipfile.ZipFile(tmp_path / 'work.zip', 'w') as zf:
        for path in folder.iterdir():
            zf.write(path, f'deep/inside/{path.name}')
    assert texts(read(tmp_path / 'work.zip', QUESTIONS)) == given

    notebook = answered_notebook(tmp_path / 'homework.ipynb', QUESTIONS, {2: 'In a cell.', 15: 'Lower by 0.01.'})
    from_notebook = read(notebook, QUESTIONS)
    assert texts(from_notebook) == {2: 'In a cell.', 15: 'Lower by 0.01.'}
    assert from_notebook.sources == ['homework.ipynb']


def test_a_submission_without_answers_lists_every_question_as_missing(tmp_path):
    for source in (ROOT / 'assignment', ROOT / 'assignment' / 'assignment.ipynb', ROOT / 'solution'):
        found = read(source, QUESTIONS)
        assert found.answered == [] and found.missing == list(QUESTIONS) and not found.notes
    (tmp_path / 'nothing').mkdir()
    assert read(tmp_path / 'nothing', QUESTIONS).missing == list(QUESTIONS)


def test_a_folder_holding_one_zip_is_read_from_it_and_answers_files_come_before_notebooks(tmp_path):
    upload = tmp_path / 'upload'
    upload.mkdir()
    with zipfile.ZipFile(upload / 'mine.zip', 'w') as zf:
        zf.writestr('work/answers.md', filled(QUESTIONS, {4: 'From the file.'}))
        zf.writestr('work/two.ipynb', (answered_notebook(tmp_path / 'n.ipynb', QUESTIONS,
                                                         {4: 'From the notebook.', 5: 'Only here.'})).read_text())
    found = read(upload, QUESTIONS)
    assert texts(found) == {4: 'From the file.', 5: 'Only here.'}
    assert found.given[5].source == 'work/two.ipynb'
    assert found.notes == ('question 4 is answered in work/answers.md and in work/two.ipynb: the answer in '
                           'work/answers.md is shown',)


def test_broken_and_odd_files_are_notes_never_errors(tmp_path):
    folder = tmp_path / 'odd'
    folder.mkdir()
    (folder / 'answers.md').write_text(filled(QUESTIONS, {1: 'x' * (answers.MAX_ANSWER + 5)},
                                              extra='\n## Question 99\n\nAn answer to nothing.\n'))
    (folder / 'broken.ipynb').write_text('{"cells": [')
    (folder / 'deep.ipynb').write_text('[' * 5000 + ']' * 5000)
    found = read(folder, QUESTIONS)
    assert found.given[1].text == 'x' * answers.MAX_ANSWER and found.given[1].cut == 5
    assert any(note.endswith('questions this assignment does not ask were ignored: 99') for note in found.notes)
    assert any(note.startswith('broken.ipynb could not be read') for note in found.notes)
    assert any(note.startswith('deep.ipynb could not be read') for note in found.notes)
    for missing in (tmp_path / 'absent.zip', tmp_path / 'odd' / 'answers.md'):
        assert read(missing, QUESTIONS).missing == list(QUESTIONS)
    (tmp_path / 'bad.zip').write_bytes(b'not a zip')
    assert read(tmp_path / 'bad.zip', QUESTIONS).notes[0].startswith('bad.zip could not be read')


def test_a_notebook_is_read_past_its_outputs_and_only_its_markdown_is_kept(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('**Answer to question 1**\nx = 1', outputs=[nbformat.v4.new_output(
            'display_data', data={'image/png': 'A' * 20_000_000})]),
        nbformat.v4.new_markdown_cell('**Answer to question 1** (Part 4, 1 point)\n\nIn **bold**.'),
        nbformat.v4.new_raw_cell('**Answer to question 2**\n\nraw cells are not answers')])
    path = tmp_path / 'big.ipynb'
    path.write_text(nbformat.writes(notebook))
    assert texts(read(path, QUESTIONS)) == {1: 'In **bold**.'}


def test_a_quote_below_the_heading_is_the_question_only_when_it_says_the_question():
    question = Question(1, None, 'Why?', 1)
    assert answers.body('\n> Why?\n\nBecause.\n', question) == 'Because.'
    assert answers.body('\n> Why not?\n\nBecause.\n', question) == '> Why not?\n\nBecause.'
    assert answers.body(f'\n> Why?\n\n{answers.PLACEHOLDER}\n', question) == ''


# Pages and output

def test_pages_escape_answers_and_load_nothing(tmp_path):
    questions = QUESTIONS[:3]
    given = {1: Answer(f'# Title\n\n{HOSTILE} and [a link](https://example.com) `<b>`', 'answers.md'),
             2: Answer(''), 3: Answer('```\n' + HOSTILE + '\n```', 'answers.md', cut=7)}
    found = Answers(questions, given, (f'a note with {HOSTILE}',))
    drawn = figures.Figures([('weights.png', b'\x89PNG\r\n\x1a\nrest')], {'x.png': HOSTILE})
    index = answers_page.write(tmp_path, 'Homework', [(f'ev<il>"{HOSTILE}', found, drawn), ('ok', found, None)], True)
    pages = [index, *(tmp_path / answers_page.PAGES).iterdir()]
    assert len(pages) == 3
    for page in pages:
        text = page.read_text()
        assert '<script' not in text and '<img src="https' not in text and '<link' not in text
        assert not re.search(r'''(src|href)\s*=\s*["']?\s*(https?:|//)''', text, re.IGNORECASE), page
        assert "default-src 'none'" in text
    student = (tmp_path / answers_page.PAGES / answers_page.page_name('ok')).read_text()
    assert html.escape(HOSTILE) in student and 'href="https' not in student
    assert 'Missing answers (1)' in student and '7 more characters' in student
    assert 'data:image/png;base64,' not in student     # figures not drawn for this one
    hostile = next(p for p in pages if p.name.startswith('ev_il')).read_text()
    assert 'data:image/png;base64,' in hostile
    listing = index.read_text()
    assert 'href="answers/ok.html"' in listing and '2 / 3' in listing and html.escape('ev<il>"') in listing


def test_page_names_are_plain_and_distinct():
    names = [answers_page.page_name(ident) for ident in ('ada', 'index', 'a b', 'a_b', '../x', '\\xff')]
    assert names[0] == 'ada.html' and len(set(names)) == len(names)
    assert all(re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9_.-]*\.html', name) for name in names)


def test_the_gradescope_output_shows_the_answers_and_keeps_the_score():
    questions = QUESTIONS[:3]
    found = Answers(questions, {1: Answer('First line\nsecond line', 'answers.md'), 2: Answer(''),
                                3: Answer('y' * 2000, 'answers.md')})
    results = {'score': 12.5, 'output': 'Score: 12.5 / 45', 'tests': [], 'extra_data': {'max_score': 45}}
    shown = gradescope.with_answers(results, found, 'answers.md')
    assert shown['score'] == 12.5 and shown['tests'] == [] and shown['extra_data']['max_score'] == 45
    assert shown['output'].startswith('Score: 12.5 / 45\n\nWritten answers, graded by hand (5 points, not part of')
    assert '2 of 3 questions answered, read from answers.md' in shown['output']
    assert 'Missing: question 2.' in shown['output']
    assert 'Question 1 (Part 4, 1 point):\n    First line\n    second line' in shown['output']
    assert f'[... {2000 - gradescope.SHOWN_ANSWER} more characters]' in shown['output']
    assert shown['extra_data']['answers'] == {'answered': [1, 3], 'missing': [2], 'points': 5}


# The command, end to end

def grader(*args, check=True):
    done = subprocess.run([sys.executable, '-m', 'grader', *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert not check or done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_command_gathers_the_answers_of_a_batch_and_adds_them_to_results(tmp_path):
    subs = tmp_path / 'subs'
    shutil.copytree(ROOT / 'solution', subs / 'ref', ignore=shutil.ignore_patterns('__pycache__'))
    (subs / 'ref' / 'answers.md').write_text(filled(QUESTIONS, {n: f'Answer {n}.' for n in range(1, 15)}))
    answered_notebook(subs / 'nb.ipynb', QUESTIONS, {3: HOSTILE})
    shutil.copytree(ROOT / 'assignment', subs / 'blank', ignore=shutil.ignore_patterns('__pycache__', '*.ipynb'))
    done = grader('answers', subs, '--out', tmp_path / 'out', '--no-figures')
    assert 'ref: 14 of 15 answered, missing 15' in done.stdout
    assert 'nb: 1 of 15 answered, missing 1-2,4-15' in done.stdout
    assert 'blank: 0 of 15 answered, missing 1-15' in done.stdout
    page = (tmp_path / 'out' / 'answers' / 'nb.html').read_text()
    assert html.escape(HOSTILE) in page and '<script' not in page

    results = tmp_path / 'results.json'
    results.write_text(json.dumps({'score': 3, 'output': 'Score: 3 / 100', 'tests': [], 'extra_data': {}}))
    done = grader('answers', subs / 'ref', '--results', results)
    written = json.loads(results.read_text())
    assert written['score'] == 3 and written['extra_data']['answers']['missing'] == [15]
    assert 'Question 14 (Part 8, 1 point):\n    Answer 14.' in written['output'] and 'Answer 14.' in done.stdout
    refused = grader('answers', subs / 'ref', '--results', tmp_path / 'absent.json', check=False)
    assert refused.returncode == 2 and 'cannot be read as results JSON' in refused.stderr


@pytest.fixture
def lsq_written(tmp_path):
    """A copy of the tiny homework with a written part and a table of figures."""
    folder = tmp_path / 'lsq'
    shutil.copytree(LSQ, folder, ignore=shutil.ignore_patterns('__pycache__'))
    with open(folder / 'spec.py', 'a') as f:
        f.write(LSQ_WRITTEN)
    (folder / 'lsq_figures.py').write_text(LSQ_FIGURES)
    return folder


def test_the_figures_each_submission_draws_run_in_the_sandbox_of_another_homework(lsq_written, tmp_path):
    spec = load(lsq_written)
    questions = answers.written(spec).questions
    assert [q.number for q in questions] == [1, 2, 3]
    subs = tmp_path / 'subs'
    shutil.copytree(lsq_written / 'solution', subs / 'good')
    (subs / 'good' / 'answers.md').write_text(filled(questions, {1: 'Orthogonality.', 3: HOSTILE}))
    shutil.copytree(lsq_written / 'skeleton', subs / 'stub')
    (subs / 'huge').mkdir()
    (subs / 'huge' / 'regression.py').write_text(
        (lsq_written / 'solution' / 'regression.py').read_text().replace('return X @ w', 'return X @ w * 1e15'))
    done = grader('answers', subs, '--out', tmp_path / 'out', '--assignment', lsq_written)
    assert 'good: 2 of 3 answered, missing 2; 2 of 2 figures drawn' in done.stdout
    assert 'huge: 0 of 3 answered, missing 1-3; 1 of 2 figures drawn' in done.stdout
    assert 'stub: 0 of 3 answered, missing 1-3; 0 of 2 figures drawn' in done.stdout
    good = (tmp_path / 'out' / 'answers' / 'good.html').read_text()
    assert good.count('<img src="data:image/png;base64,') == 2 and html.escape(HOSTILE) in good
    huge = (tmp_path / 'out' / 'answers' / 'huge.html').read_text()
    assert '<code>levels.png</code>: MemoryError' in huge
    stub = (tmp_path / 'out' / 'answers' / 'stub.html').read_text()
    assert 'fit_weights is not implemented yet' in stub
    assert 'asks no written questions' in grader('answers', subs, '--out', tmp_path / 'o2', '--assignment', LSQ,
                                                  check=False).stderr


def test_a_drawing_that_never_ends_is_stopped(lsq_written, tmp_path):
    (lsq_written / 'lsq_figures.py').write_text(LSQ_FIGURES + '\nimport time\n\n\ndef forever(regression):\n'
                                                '    regression.fit_weights(np.eye(2), np.ones(2))\n'
                                                '    while True:\n        time.sleep(1)\n\n\n'
                                                "FIGURES = ((('forever.png',), 'regression', forever),)\n")
    spec = load(lsq_written)
    drawn = figures.draw(spec, lsq_written / 'solution', 'lsq_figures:FIGURES', timeout=20)
    assert drawn.drawn == [] and 'not drawn within 20 s' in drawn.error


def test_the_engine_still_names_nothing_of_the_homework():
    from tests.test_second_assignment import test_the_engine_names_nothing_of_either_homework
    test_the_engine_names_nothing_of_either_homework()


def test_the_notebook_has_an_empty_answer_cell_for_every_question():
    """The notebook students get asks every question in a cell of its own, unanswered."""
    import nbformat
    from grader.engine import answers as parsing
    from grader.engine.intake.answers import read
    from grader.spec import QUESTIONS, SPEC
    notebook = SPEC.root / 'assignment' / 'assignment.ipynb'
    found = read(notebook, QUESTIONS)
    assert found.missing == list(QUESTIONS) and not found.notes
    cells = [cell for cell in nbformat.read(notebook, 4).cells if parsing.from_cell(cell.source, QUESTIONS) is not None]
    assert [parsing.from_cell(cell.source, QUESTIONS)[0] for cell in cells] == [q.number for q in QUESTIONS]


def test_many_headings_give_one_note_and_a_bold_marker_is_found():
    """Thousands of headings of questions not asked give one short note, and a marker in bold
    with underscores is found."""
    from grader.engine import answers as parsing
    from grader.spec import QUESTIONS
    _, notes = parsing.from_file('## Question 99\n' * 70_000, QUESTIONS)
    assert len(notes) == 1 and len(notes[0]) < 200
    assert parsing.from_cell('__Answer to question 1__\nBecause.', QUESTIONS)[0] == 1
