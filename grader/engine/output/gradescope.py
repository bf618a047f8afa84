"""Gradescope-format results built from pytest-json-report's report.

The format is Gradescope's results.json: top-level score, execution_time, output and
tests[], each test with name, score, max_score, status, output, tags and visibility.
Whatever Gradescope has no field for goes in extra_data: each test's outcome, part and
title (its name without the part), and for the run the parts in order, so that reports
never parse a test's name.
"""

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
}


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
    tests = [_test(entry) for entry in report.get('tests', [])]
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
        },
    }


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
