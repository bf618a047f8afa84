"""The table a student or an instructor reads after a grading run."""

import textwrap

from .results import OUTCOME_TEXT, part_totals

WIDTH = 96


def print_table(results, verbose=True):
    """Print points per part and, when verbose, every test with the feedback of failures."""
    tests = results['tests']
    for part, score, maximum in part_totals(tests):
        print(f'{part:<{WIDTH - 12}}{score:>5g} / {maximum:g}')
        if not verbose:
            continue
        for test in (t for t in tests if t['extra_data']['part'] == part):
            mark = 'PASS' if test['status'] == 'passed' else 'FAIL'
            name = test['name'].split(': ', 1)[1]
            line = f'  {mark} {name}'
            if len(line) > WIDTH - 13:
                line = line[:WIDTH - 16] + '...'
            print(f'{line:<{WIDTH - 12}}{test["score"]:>5g} / {test["max_score"]:g}')
            if test['status'] != 'passed':
                outcome = OUTCOME_TEXT.get(test['extra_data']['outcome'], test['extra_data']['outcome'])
                print(textwrap.indent(f'[{outcome}] {test["output"]}', ' ' * 7))
    print('-' * WIDTH)
    maximum = sum(test['max_score'] for test in tests)
    print(f'{"Total":<{WIDTH - 12}}{results["score"]:>5g} / {maximum:g}')
    # The summary's first lines are the score and the parts, printed above; the rest are notes.
    notes = results['output'].split('\n')[1 + len(part_totals(tests)):]
    if notes:
        print('\n'.join(notes))
