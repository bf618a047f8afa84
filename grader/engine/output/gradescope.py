"""Gradescope-format results built from pytest-json-report's report.

The format is Gradescope's results.json: top-level score, execution_time, output and
tests[], each test with name, score, max_score, status, output, tags and visibility.
Whatever Gradescope has no field for goes in extra_data: each test's outcome, part and
title (its name without the part), the diagnoses of a failure as data, and for the run the
parts in order, so that reports never parse a test's name or feedback.

A test whose result only follows from another function's mistake (outcome 'consequence')
keeps its points when a test of that function fails in the same run: the mistake costs
points once, in the tests that name it.
"""

from ..spec import format_parts

OUTCOME_TEXT = {
    'not_implemented': 'not attempted yet',
    'wrong': 'wrong result',
    'error': 'your code raised an error',
    'missing': 'missing',
    'import_error': 'module cannot be imported',
    'unsupported_type': 'unsupported return type',
    'too_large': 'result too large',
    'timeout': 'timed out',
    'crash': 'crashed',
    'memory': 'out of memory',
    'grader_error': 'could not be checked',
    'consequence': 'not counted here: a function it calls is wrong',
}


SHOWN_TESTS = 2        # of the failing tests a consequence names


def build(report, spec, notes, leaderboard, extra):
    """Gradescope results from a pytest-json-report report.

    Inputs:
    - report: the dict pytest-json-report made (plugin.report)
    - spec: the engine.spec.Assignment graded
    - notes: what the student should know about how the submission was read
    - leaderboard: Gradescope leaderboard entries ({'name', 'value', 'order'}) the tests recorded
    - extra: run-wide facts for extra_data (seed, sha256, grader version, suite)

    Returns:
    - the results dict; its score is the sum of its tests' scores
    """
    tests = settled([_test(entry) for entry in report.get('tests', [])], dict(spec.calls))
    score = points(sum(test['score'] for test in tests))
    parts = [part.name for part in spec.parts]
    worth = points(sum(test['max_score'] for test in tests))
    if extra.get('suite') == 'public' and worth < spec.points:
        notes = [f"The public tests are worth {worth:g} of the assignment's {spec.points:g} points; "
                 'hidden tests, run when you hand in, grade the rest.', *notes]
    results = {
        'score': score,
        'execution_time': round(report.get('duration', 0.0), 3),
        'output': summary(tests, parts, score, notes),
        'tests': tests,
        'extra_data': dict(extra, max_score=worth, parts=parts),
    }
    if leaderboard:
        results['leaderboard'] = list(leaderboard)
    return results


def points(total):
    """A sum of points as it reads best: 49, not 49.0 nor 48.99999999999999."""
    total = round(total, 6)
    return int(total) if float(total).is_integer() else total


def _test(entry):
    meta = entry['metadata']
    passed = entry['outcome'] == 'passed'
    return {
        'name': f"{meta['part']}: {meta['name']}",
        'score': meta['points'] if passed else 0,
        'max_score': meta['points'],
        'status': 'passed' if passed else 'failed',
        'output': meta['feedback'] if not passed else '',
        'tags': meta['tags'],
        'visibility': meta['visibility'],
        'extra_data': {
            'outcome': meta['outcome'] if not passed else 'passed',
            'part': meta['part'],
            'title': meta['name'],
            'nodeid': entry['nodeid'],
            'duration': round(sum(entry.get(stage, {}).get('duration', 0.0)
                                  for stage in ('setup', 'call', 'teardown')), 4),
            'faults': meta['faults'],
            'diagnoses': meta['diagnoses'],
        },
    }


def settled(tests, calls):
    """The tests with each consequence scored, and failures that may follow from another
    function's told so.

    A consequence passes, with its points and its note, when the mistake goes back to
    functions that fail tests of their own (through consequences of consequences: a wrong
    f makes g's results wrong, and those of h, built on g, through them); else it
    fails, its feedback saying why. A test failed in its own right names the functions it is
    built on (`calls`, transitively) that fail their own tests. A test is a test of the
    function it is tagged with first.

    Inputs:
    - tests: Gradescope tests, as _test builds them
    - calls: {function: (the functions it is built on, ...)}, the spec's
    """
    own, consequences = {}, {}
    for test in tests:
        function, extra = test['tags'][0], test['extra_data']
        if extra['outcome'] == 'consequence':
            consequences.setdefault(function, set()).update(extra['faults'])
        elif test['status'] == 'failed' and extra['outcome'] != 'grader_error':
            own.setdefault(function, []).append(test['name'])

    def roots(name, seen=()):
        """The functions failing tests of their own that a wrong result of `name` goes back to."""
        if name in own:
            return [name]
        found = []
        for fault in sorted(consequences.get(name, ())):
            if fault not in seen:
                found += [root for root in roots(fault, (*seen, name)) if root not in found]
        return found

    for test in tests:
        extra = test['extra_data']
        if extra['outcome'] == 'consequence':
            _settle_consequence(test, {fault: roots(fault) for fault in extra['faults']}, own,
                                {other['tags'][0] for other in tests})
        elif test['status'] == 'failed' and extra['outcome'] != 'missing':   # nothing ran: nothing to rely on
            failing = [name for name in _built_on(test['tags'][0], calls) if name in own]
            if failing:
                test['output'] += (f'\nThis test relies on your {" and ".join(failing)}, which '
                                   f'{"fails its" if len(failing) == 1 else "fail their"} own tests: fix '
                                   f'{"it" if len(failing) == 1 else "them"} first.')
    return tests


def _settle_consequence(test, roots, own, graded):
    """Score a consequence: passed when every fault goes back to functions failing tests of their own.

    graded: the functions with tests in this run (a run of some parts leaves others out)"""
    untested = [fault for fault, found in roots.items() if not found]
    if untested:
        test['extra_data']['outcome'] = 'wrong'
        absent = [fault for fault in untested if fault not in graded]
        test['output'] += (f'\nThe tests of {" and ".join(absent)} are not part of this run (grade '
                           f'{"its" if len(absent) == 1 else "their"} part too), so this test counts the mistake.'
                           if absent else
                           f'\nNo test of {" or ".join(untested)} failed in this run, so this test counts '
                           'the mistake.')
        return
    test['status'], test['score'] = 'passed', test['max_score']
    test['output'] += '\nThis test keeps its points: the mistake is counted in the tests of the function at fault.'
    for name in dict.fromkeys(root for found in roots.values() for root in found):
        test['output'] += f'\nThe tests that grade {name}: {"; ".join(own[name][:SHOWN_TESTS])}'


def _built_on(function, calls):
    """The functions `function` is built on, directly or through others, nearest first."""
    found, frontier = [], list(calls.get(function, ()))
    while frontier:
        name = frontier.pop(0)
        if name not in found and name != function:
            found.append(name)
            frontier += calls.get(name, ())
    return found


def part_totals(tests, parts):
    """[(part, score, max_score)] in the order of `parts`, for parts with tests."""
    totals = []
    for part in parts:
        mine = [test for test in tests if test['extra_data']['part'] == part]
        if mine:
            totals.append((part, sum(t['score'] for t in mine), sum(t['max_score'] for t in mine)))
    return totals


def summary(tests, parts, score, notes=()):
    """The top-level output: the score, points per part, problems that stop whole modules,
    and notes on how the submission was read."""
    maximum = sum(test['max_score'] for test in tests)
    lines = [f'Score: {score:g} / {maximum:g}']
    lines += [f'  {part}: {got:g} / {of:g}' for part, got, of in part_totals(tests, parts)]
    broken = sorted({test['output'].split('\n')[0] for test in tests
                     if test['extra_data']['outcome'] in ('import_error', 'missing')})
    if broken:
        lines.append('Modules that could not be used (every test that needs them fails):')
        lines += [f'  - {line}' for line in broken]
    if notes:
        lines.append('How your submission was read:')
        lines += [f'  - {note}' for note in notes]
    return '\n'.join(lines)


SHOWN_ANSWER = 1500           # characters of each written answer the output shows


def with_answers(results, answers, file):
    """The results with a submission's written answers (answers.Answers) at the end of their
    output, each cut at SHOWN_ANSWER characters, and the missing ones listed; their numbers
    in extra_data['answers']. They are graded by hand: the score does not change.

    file: the name of the answers file students write in, for the student who wrote none"""
    total = points(sum(question.points for question in answers.questions))
    missing = [question.number for question in answers.missing]
    lines = [f'Written answers, graded by hand ({total:g} points, not part of this score): '
             f'{len(answers.answered)} of {len(answers.questions)} questions answered'
             + (f', read from {", ".join(answers.sources)}.' if answers.sources else '.')]
    if missing:
        listed = format_parts(missing).replace(',', ', ')
        lines.append(f'  Missing: question{"s" if len(missing) > 1 else ""} {listed}.'
                     + ('' if answers.answered else f' Answer them in {file} or in the notebook\'s answer cells.'))
    lines += [f'  - {note}' for note in answers.notes]
    for question in answers.answered:
        text = answers.given[question.number].text
        if len(text) > SHOWN_ANSWER:
            text = f'{text[:SHOWN_ANSWER]} [... {len(text) - SHOWN_ANSWER} more characters]'
        lines += ['', f'{question.label}:', *(f'    {line}'.rstrip() for line in text.split('\n'))]
    extra = dict(results.get('extra_data', {}), answers={
        'answered': [question.number for question in answers.answered], 'missing': missing, 'points': total})
    output = results.get('output', '')
    return dict(results, output=(output + '\n\n' if output else '') + '\n'.join(lines), extra_data=extra)
