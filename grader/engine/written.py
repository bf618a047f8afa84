"""The `answers` command: the written part of a homework, for the people who grade it by hand.

    python -m grader answers SUBMISSIONS_DIR --out DIR [--no-figures] [--jobs N]
    python -m grader answers SUBMISSION --results results.json

The first writes a page per submission of a batch folder (the ids `batch` gives them):
its answers to the homework's questions (answers.py), the answers it misses, and the
figures its own code draws (figures.py, in the grader's sandbox), with DIR/index.html
listing them all (output/answers_page.py). The second adds one submission's answers to
the end of its results' output, as Gradescope's autograder shows them; the score stays
what the tests gave. A missing answer is listed, never an error.
"""

import concurrent.futures
import json
from pathlib import Path

from tqdm import tqdm

from . import answers, batch, figures as drawing
from .grading import check_batch, limits_of
from .intake.answers import read
from .layout import write_json_atomically
from .output import answers_page, gradescope
from .spec import format_parts


def pages(spec, folder, out, figures=True, sandbox='auto', limits=None, jobs=1, progress=True):
    """Write out/index.html and a page per submission of `folder`.

    Inputs:
    - spec: the engine.spec.Assignment
    - folder: a batch folder (folders, .zip and .ipynb files)
    - out: the folder to write the pages to
    - figures: whether to draw the homework's figures with each submission's code
    - sandbox, limits: as for grading; limits None for grading.limits_of(spec)
    - jobs: submissions whose figures are drawn at once

    Returns:
    - [(id, answers.Answers, figures.Figures or None)], by id

    Raises ValueError when the homework asks no question, and, before any figure is drawn,
    grading.IsolationError when a worker could read what it must not here.
    """
    written = answers.written(spec)
    if not written.questions:
        raise ValueError(f'{spec.title} asks no written questions: its Assignment has no written part')
    found = batch.submissions(folder)
    limits = limits or limits_of(spec)
    others = batch.secrets(folder, out)
    drawn = {}
    if figures and written.figures and found:
        check_batch(spec, sandbox, limits, others, min(jobs, len(found)) > 1)
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool, \
                tqdm(total=len(found), unit='submission', disable=not progress, desc='figures') as bar:
            futures = {pool.submit(drawing.draw, spec, path, written.figures, sandbox, limits, others): ident
                       for ident, path in found.items()}
            for future in concurrent.futures.as_completed(futures):
                drawn[futures[future]] = future.result()
                bar.update()
    entries = [(ident, read(path, written.questions, written.file), drawn.get(ident) if drawn else None)
               for ident, path in found.items()]
    answers_page.write(out, spec.title, entries, bool(drawn))
    return entries


def summary(entries, out):
    """What the command prints: one line per submission, then where the pages are."""
    lines = []
    for ident, given, figures in entries:
        missing = [question.number for question in given.missing]
        line = f'{ident}: {len(given.answered)} of {len(given.questions)} answered'
        line += f', missing {format_parts(missing)}' if missing else ''
        if figures is not None:
            line += (f'; figures: {figures.error}' if figures.error else
                     f'; {len(figures.drawn)} of {len(figures.drawn) + len(figures.not_drawn)} figures drawn')
        lines.append(line)
    lines.append(f'{len(entries)} pages in {Path(out) / answers_page.PAGES}; open {Path(out) / "index.html"}')
    return '\n'.join(lines)


def add_to_results(spec, source, path):
    """Add the answers of the submission `source` to the results file `path` (written again
    atomically); the text added to its output, or None when the homework asks no question.
    Raises ValueError when the file is not a results JSON."""
    written = answers.written(spec)
    if not written.questions:
        return None
    try:
        results = json.loads(Path(path).read_text(encoding='utf-8'))
    except (OSError, ValueError) as error:
        raise ValueError(f'{path} cannot be read as results JSON: {error}') from None
    if not isinstance(results, dict):
        raise ValueError(f'{path} is not a results JSON: not a JSON object')
    updated = gradescope.with_answers(results, read(source, written.questions, written.file), written.file)
    write_json_atomically(updated, path)
    return updated['output'][len(results.get('output', '')):].lstrip('\n')
