"""What a student or an instructor reads during and after a grading run."""

import re
import shutil
import sys
import textwrap
import time

from .gradescope import OUTCOME_TEXT, part_totals

WIDTH = 96           # when the output is no terminal and COLUMNS is not set
SCORE = 12           # the right-hand column: ' 0.6 / 0.6'


class Progress:
    """One line on a terminal that says how far grading is and which test just ended.

    Called by the grading plugin as (tests done, tests in all, test name); prints
    nothing when `stream` is not a terminal (a log gets the table at the end).
    """

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.active = stream.isatty()
        self.start = time.monotonic()

    def __call__(self, done, total, name):
        if not self.active:
            return
        width = shutil.get_terminal_size((WIDTH, 20)).columns - 1
        line = f'Grading: {done}/{total} tests, {time.monotonic() - self.start:.0f} s: {name}'
        self.stream.write('\r' + line[:width].ljust(width))
        self.stream.flush()

    def finish(self):
        """Clear the progress line."""
        if self.active:
            width = shutil.get_terminal_size((WIDTH, 20)).columns - 1
            self.stream.write('\r' + ' ' * width + '\r')
            self.stream.flush()


def shortened(title, width):
    """The title in at most `width` characters: cut in the middle of its text, never in its
    parameters ('[relu]', '[2-1]'), which tell a parametrised test from its siblings."""
    if len(title) <= width:
        return title
    parameters = re.search(r' \[[^\]]*\]$', title)
    tail = parameters.group(0) if parameters else ''
    text = title[:len(title) - len(tail)]
    room = width - len(tail) - 3
    if room < 10:
        return title[:width - 3] + '...'
    head = room * 2 // 3
    return f'{text[:head]}...{text[len(text) - (room - head):]}{tail}'


def print_table(results, verbose=True, width=None):
    """Print points per part and, when verbose, every test with the feedback of failures.

    width: the line width; by default the terminal's (COLUMNS, else WIDTH when the output is
    no terminal)."""
    width = width or shutil.get_terminal_size((WIDTH, 20)).columns
    left = width - SCORE
    unreadable = results['extra_data'].get('read_error')
    if unreadable:    # every test failed for this one reason: say it once, first
        print(f'The submission could not be read, so no test could run: {unreadable}')
        verbose = False
    tests = results['tests']
    parts = part_totals(tests, results['extra_data']['parts'])
    for part, score, maximum in parts:
        print(f'{part:<{left}}{score:>5g} / {maximum:g}')
        if not verbose:
            continue
        for test in (t for t in tests if t['extra_data']['part'] == part):
            mark = 'PASS' if test['status'] == 'passed' else 'FAIL'
            line = f'  {mark} ' + shortened(test['extra_data']['title'], left - 8)
            print(f'{line:<{left}}{test["score"]:>5g} / {test["max_score"]:g}')
            if test['output']:
                outcome = OUTCOME_TEXT.get(test['extra_data']['outcome'], test['extra_data']['outcome'])
                print(textwrap.indent(f'[{outcome}] {test["output"]}', ' ' * 7))
    print('-' * width)
    maximum = sum(test['max_score'] for test in tests)
    print(f'{"Total":<{left}}{results["score"]:>5g} / {maximum:g}')
    # The summary's first lines are the score and the parts, printed above; the rest are notes.
    notes = results['output'].split('\n')[1 + len(parts):]
    if notes:
        print('\n'.join(notes))
