"""The table `grade` prints: as wide as the terminal, and parametrised tests told apart."""

from grader.engine.output.terminal import print_table

TITLE = 'maxpool_forward on fixed inputs, non-overlapping and overlapping windows, with ties broken row-major'


def results(titles):
    tests = [{'name': f'6. CNN: {title}', 'score': 0.25, 'max_score': 0.25, 'status': 'passed', 'output': '',
              'extra_data': {'part': '6. CNN', 'title': title, 'outcome': 'passed'}} for title in titles]
    return {'tests': tests, 'score': 0.25 * len(titles), 'output': 'Score',
            'extra_data': {'parts': {'6. CNN': 0.25 * len(titles)}}}


def printed(capsys, titles, **options):
    print_table(results(titles), **options)
    return capsys.readouterr().out.splitlines()


def test_a_wide_terminal_shows_whole_titles(capsys, monkeypatch):
    """With COLUMNS=160 (no terminal), a 110-character title is printed whole."""
    monkeypatch.setenv('COLUMNS', '160')
    lines = printed(capsys, [f'{TITLE} [2-2]'])
    assert any(f'{TITLE} [2-2]' in line for line in lines)
    assert max(map(len, lines)) <= 160


def test_a_narrow_table_keeps_the_parameters_that_tell_tests_apart(capsys):
    """At 80 columns the titles are cut in their text, not in their parameters."""
    lines = printed(capsys, [f'{TITLE} [2-2]', f'{TITLE} [3-1]'], width=80)
    rows = [line for line in lines if 'PASS' in line]
    assert len(rows) == 2 and rows[0] != rows[1]
    assert '[2-2]' in rows[0] and '[3-1]' in rows[1] and '...' in rows[0]
    assert max(map(len, lines)) <= 80
