"""report.html, beside summary.json: what a class got right and wrong, for the instructor.

The score distribution of every part, the pass rate of every test, the most frequent
diagnoses (counted from the diagnoses each failed test carries as data in its extra_data,
never from the feedback's sentences; with an example each), the submissions that could
not be graded and why, and the slowest submissions. Parts, tests and points are read from
the results files, nothing else.

The page is one self-contained file: figures are PNGs inlined as data URIs, each with alt
text and a table of the same numbers below it for readers who cannot see it; no script,
no external asset. Every text that comes from results is escaped: feedback quotes
student code and output.
"""

import base64
import html
import io
import re
import statistics
from collections import defaultdict


BINS = 10                  # a part's points in tenths: 0-10 %, ..., 90-100 %
DIAGNOSES = 20
SLOWEST = 10
EXAMPLE = 400              # characters of a diagnosis's example
NOT_DIAGNOSES = ('not_implemented', 'missing')   # unfinished work, counted in the pass rates
STYLE = ('body{font-family:sans-serif;max-width:70em;margin:auto;padding:1em;line-height:1.4}'
         'table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.2em .5em;'
         'text-align:left;vertical-align:top}td.n{text-align:right}caption{text-align:left;font-weight:bold}'
         'img{max-width:100%}code{white-space:pre-wrap}')

def parts(collected):
    """[(part, points)] of the results with the most tests, in the natural order of the part
    names; points: that result's total max_score of the part's tests."""
    fullest = max(collected.values(), key=lambda results: len(results.get('tests', [])), default={})
    points = {}
    for test in fullest.get('tests', []):
        part = test['extra_data']['part']
        points[part] = points.get(part, 0) + test['max_score']
    return sorted(points.items(), key=lambda item: _natural(item[0]))


def _natural(name):
    """A sort key that puts '2. Losses' before '10. Extras'."""
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r'(\d+)', name)]


def part_shares(results):
    """{part: (score, max score)} of one results dict."""
    shares = defaultdict(lambda: [0, 0])
    for test in results.get('tests', []):
        shares[test['extra_data']['part']][0] += test['score']
        shares[test['extra_data']['part']][1] += test['max_score']
    return {part: tuple(share) for part, share in shares.items()}


def distribution(collected):
    """Rows (name, counts per tenth of the points, mean %, median %) for every part, then the total.

    Over the submissions with tests (not those the harness could not grade); a score of
    exactly 100 % counts in the last tenth.
    """
    graded = [results for results in collected.values() if results.get('tests')]
    table = []
    for name in [part for part, _ in parts(collected)] + [None]:
        percents = []
        for results in graded:
            score, maximum = (part_shares(results).get(name, (0, 0)) if name else
                              (results['score'], sum(test['max_score'] for test in results['tests'])))
            if maximum:
                percents.append(100 * score / maximum)
        counts = [0] * BINS
        for percent in percents:
            counts[min(int(percent // (100 / BINS)), BINS - 1)] += 1
        table.append((name or 'Total', counts, round(statistics.fmean(percents), 1) if percents else None,
                      round(statistics.median(percents), 1) if percents else None))
    return table


def pass_rates(collected):
    """Rows (test, part, points, passed, graded) for every test, hardest first."""
    rows = {}
    for results in collected.values():
        for test in results.get('tests', []):
            row = rows.setdefault(test['name'], [test['name'], test['extra_data']['part'], test['max_score'], 0, 0])
            row[3] += test['status'] == 'passed'
            row[4] += 1
    return sorted((tuple(row) for row in rows.values()), key=lambda row: (row[3] / row[4], row[0]))


def diagnoses(collected, excluded=(), limit=DIAGNOSES):
    """The most frequent diagnoses, and what was left without one.

    Over the failed tests of the submissions not `excluded` (those that could not be read
    or graded), except tests failed because a function is missing or not implemented yet.
    A diagnosis is counted by its key, wherever it was recognised: a missing 1/N in two
    functions is one row.

    Returns:
    - rows: (key, functions, submissions, tests, example), most submissions first, at most
      `limit`; functions: the functions it was recognised in, comma-separated; the example
      is one such diagnosis's sentence
    - undiagnosed: (tests, submissions) whose feedback names no recognised cause
    """
    found, plain, plain_ids = {}, 0, set()
    for ident, results in collected.items():
        if ident in excluded:
            continue
        for test in results.get('tests', []):
            extra = test['extra_data']
            if test['status'] == 'passed' or extra.get('outcome') in NOT_DIAGNOSES:
                continue
            recognised = extra.get('diagnoses') or []
            if not recognised:
                plain, plain_ids = plain + 1, plain_ids | {ident}
            for diagnosis in recognised:
                text = diagnosis['text'] if len(diagnosis['text']) <= EXAMPLE else diagnosis['text'][:EXAMPLE] + ' …'
                entry = found.setdefault(diagnosis['key'], [set(), set(), 0, text])
                entry[0].add(ident)
                entry[1].add(diagnosis['function'])
                entry[2] += 1
    rows = [(key, ', '.join(sorted(functions)), len(ids), tests, example)
            for key, (ids, functions, tests, example) in found.items()]
    return sorted(rows, key=lambda row: (-row[2], -row[3], row[0]))[:limit], (plain, len(plain_ids))


def ungraded(facts):
    """Rows (id, what happened, why) from summary facts: unreadable, then harness errors."""
    return ([(entry['id'], 'could not be read (graded 0)', entry['reason']) for entry in facts['unreadable']]
            + [(entry['id'], 'the grader failed (no score)', entry['reason']) for entry in facts['harness_errors']])


def slowest(collected, limit=SLOWEST):
    """Rows (id, seconds, score, slowest test, its seconds) of the slowest gradings."""
    rows = []
    for ident, results in collected.items():
        tests = results.get('tests', [])
        test = max(tests, key=lambda t: t['extra_data'].get('duration', 0), default=None)
        rows.append((ident, results.get('execution_time', 0), results.get('score', 0),
                     test['name'] if test else '', test['extra_data'].get('duration', 0) if test else 0))
    return sorted(rows, key=lambda row: (-row[1], row[0]))[:limit]


def table(caption, header, rows, numeric=()):
    """An HTML table; every cell escaped. numeric: indexes of right-aligned columns."""
    head = ''.join(f'<th scope="col">{html.escape(str(cell))}</th>' for cell in header)
    body = ''.join('<tr>' + ''.join(f'<td class="n">{html.escape(_text(cell))}</td>' if index in numeric
                                    else f'<td>{html.escape(_text(cell))}</td>' for index, cell in enumerate(row))
                   + '</tr>' for row in rows)
    return f'<table><caption>{html.escape(caption)}</caption><tr>{head}</tr>{body}</table>'


def _text(cell):
    """A cell as text: floats to 3 significant digits below 1, else to one decimal."""
    if isinstance(cell, float):
        return f'{cell:.3g}' if abs(cell) < 1 else f'{round(cell, 1):g}'
    return '' if cell is None else str(cell)


def new_figure(figsize):
    """A matplotlib Figure with constrained layout. matplotlib is imported here, on first use:
    grading a submission draws nothing, and importing it would add about 0.6 s to every grading."""
    from matplotlib.figure import Figure
    return Figure(figsize=figsize, layout='constrained')


def image(fig, alt):
    """An <img> of a matplotlib figure, as a PNG data URI, with alt text."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=90)
    data = base64.b64encode(buffer.getvalue()).decode('ascii')
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def distribution_figure(rows):
    """Bar charts, one per part and the total: submissions per tenth of the points."""
    fig = new_figure((3 * min(len(rows), 3), 2.4 * -(-len(rows) // 3)))
    labels = [f'{10 * k}' for k in range(BINS)]
    for index, (name, counts, _, _) in enumerate(rows):
        axes = fig.add_subplot(-(-len(rows) // 3), min(len(rows), 3), index + 1)
        axes.bar(range(BINS), counts, color='tab:blue')
        axes.set_xticks(range(BINS), labels, fontsize=7)
        axes.set_title(name[:40], fontsize=9)
        axes.set_xlabel('% of the points (lower bound)', fontsize=7)
        if index % 3 == 0:
            axes.set_ylabel('submissions', fontsize=8)
    return fig


def pass_rate_figure(rows):
    """Horizontal bars: the pass rate of every test, hardest at the top."""
    fig = new_figure((10, 1.5 + 0.16 * len(rows)))
    axes = fig.subplots()
    names = sorted({part for _, part, *_ in rows}, key=_natural)
    colours = [f'C{names.index(part) % 10}' for _, part, *_ in rows]
    axes.barh(range(len(rows)), [passed / graded for _, _, _, passed, graded in rows], color=colours)
    axes.set_yticks(range(len(rows)), [name[:80] for name, *_ in rows], fontsize=6)
    axes.set(xlim=(0, 1), ylim=(len(rows) - 0.5, -0.5), xlabel='fraction of submissions passing (colour: part)')
    return fig


def page(collected, facts):
    """The report's HTML.

    Inputs:
    - collected: {submission id: results}
    - facts: gradebook.summary(collected) (count, graded, mean, median, unreadable, harness errors)
    """
    lost = ungraded(facts)
    sections = [f'<h1>Class report</h1><p>{facts["count"]} submissions, {facts["graded"]} graded '
                f'({len(facts["unreadable"])} of them could not be read and got 0); mean score '
                f'{_text(facts["mean"])}, median {_text(facts["median"])}. The numbers come from the results in '
                'results/; summary.json and gradebook.csv have them too.</p>',
                *_parts_section(distribution(collected)),
                *_tests_section(pass_rates(collected)),
                *_diagnoses_section(diagnoses(collected, {ident for ident, *_ in lost})),
                '<h2>Submissions that could not be graded</h2>',
                table('Submissions not read or not graded', ['Submission', 'What happened', 'Why'], lost)
                if lost else '<p>None.</p>',
                '<h2>Slowest submissions</h2>',
                table(f'The {SLOWEST} slowest gradings', ['Submission', 'Seconds', 'Score', 'Slowest test',
                                                          'Its seconds'], slowest(collected), numeric=(1, 2, 4))]
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Class report</title>'
            f'<style>{STYLE}</style></head><body>' + '\n'.join(sections) + '</body></html>\n')


def _parts_section(shares):
    """Heading, figure and table of the score distribution; shares: as distribution gives."""
    section = ['<h2>Scores by part</h2>']
    if any(sum(counts) for _, counts, _, _ in shares):
        means = '; '.join(f'{name} {mean}%' for name, _, mean, _ in shares)
        section.append(image(distribution_figure(shares), 'Bar charts, one per part and one for the total, of how '
                                                          'many submissions scored each tenth of the points. Mean '
                                                          f'scores: {means}. The table below gives every count.'))
    header = ['Part', *(f'{10 * k}-{10 * k + 10} %' for k in range(BINS)), 'Mean %', 'Median %']
    section.append(table('Submissions per tenth of the points (100 % counts in 90-100 %)', header,
                         [(name, *counts, mean, median) for name, counts, mean, median in shares],
                         numeric=range(1, BINS + 3)))
    return section


def _tests_section(rates):
    """Heading, figure and table of the pass rates; rates: as pass_rates gives."""
    section = ['<h2>Pass rate of every test</h2>']
    if rates:
        hardest = '; '.join(f'{name} {passed / graded:.0%}' for name, _, _, passed, graded in rates[:3])
        section.append(image(pass_rate_figure(rates), f'Bar chart of the pass rate of each of the {len(rates)} '
                                                      f'tests, hardest first. The three hardest: {hardest}. The '
                                                      'table below gives every rate.'))
    section.append(table('Tests, hardest first', ['Test', 'Part', 'Points', 'Passed', 'Graded', 'Pass rate'],
                         [(*row, f'{row[3] / row[4]:.0%}') for row in rates], numeric=(2, 3, 4, 5)))
    return section


def _diagnoses_section(found):
    """The diagnoses' heading, how they were grouped, and their table; found: as diagnoses gives."""
    rows, (plain, plain_submissions) = found
    return ['<h2>Most frequent diagnoses</h2>',
            '<p>The causes the grader recognised in failed tests, counted wherever they were recognised, most '
            'submissions first. Tests failed because a function is missing or not implemented yet are left out '
            f'here, as the pass rates count them; so are the {plain} failed tests (of {plain_submissions} '
            'submissions) whose feedback names no recognised cause and only reports what differs. Examples '
            'may quote student output: read them as text.</p>',
            table(f'The {len(rows)} most frequent diagnoses',
                  ['Diagnosis', 'Functions', 'Submissions', 'Tests', 'Example'], rows, numeric=(2, 3))
            if rows else '<p>None.</p>']


def write(collected, facts, path):
    """Write report.html to path (through a temporary file, so a reader never sees half of it)."""
    tmp = path.with_name(f'.{path.name}.tmp')
    tmp.write_text(page(collected, facts), encoding='utf-8')
    tmp.replace(path)
