"""report.html, beside summary.json: what a class got right and wrong, for the instructor.

The page opens with a summary: the key numbers, the score distribution of the total and
of every part, the most frequent diagnoses (counted from the diagnoses each failed test
carries as data in its extra_data, never from the feedback's sentences; with the
functions they were found in and an example each) and the submissions that could not be
graded and why. Then one section per part: its distribution and its tests, lowest pass
rate first, with how they failed; last the slowest gradings. Links at the top lead to
every section. Parts, tests and points are read from the results files, nothing else.

Its size does not grow with the class, except for the list of submissions that could not
be graded: distributions are counts, tables of diagnoses and gradings are capped, and each
part shows its worst tests and folds the rest.

The page is one self-contained file: the figure is a PNG inlined as a data URI, with alt
text and a table of the same numbers below it; no script, no external asset. Every text
that comes from results is escaped: feedback quotes student code and output.
"""

import base64
import html
import io
import re
import statistics
from collections import Counter, defaultdict


BINS = 10                  # a part's points in tenths: 0-10 %, ..., 90-100 %
DIAGNOSES = 20
SLOWEST = 10
SHOWN = 8                  # tests of a part shown before the rest are folded
FUNCTIONS = 4              # functions named in a diagnosis's row before "+N more"
EXAMPLE = 400              # characters of a diagnosis's example or of a reason
SHADES = 5                 # levels of the distribution tables' cells
TENTHS = [f'{10 * k}-{10 * k + 10}' for k in range(BINS)]
NOT_DIAGNOSES = ('not_implemented', 'missing')   # unfinished work, counted in the pass rates
STYLE = ('body{font-family:system-ui,sans-serif;max-width:75em;margin:auto;padding:0 1em 2em;line-height:1.4;'
         'color:#222}h1{margin-bottom:.2em}h2{border-bottom:2px solid #bbb;margin-top:1.8em}h3{margin-bottom:.3em}'
         'a.up{float:right;margin-top:2.6em;font-size:.9em}'
         'nav{background:#f4f4f4;padding:.4em .8em;border-radius:4px}nav ul{margin:.2em 0;padding-left:1.2em}'
         'nav li{margin:.1em 0}nav ul ul{display:flex;flex-wrap:wrap;gap:0 1.5em;padding-left:0;list-style:none}'
         'table{border-collapse:collapse;margin:.4em 0 1em}th,td{border:1px solid #bbb;padding:.15em .45em;'
         'text-align:left;vertical-align:top}th{background:#f2f2f2}'
         'td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}'
         'caption{text-align:left;font-weight:bold;padding:.2em 0}img{max-width:100%;height:auto;display:block}'
         'table.wide{width:100%}table.tests{table-layout:fixed}table.tests th:nth-child(1){width:28%}'
         'table.tests th:nth-child(2){width:3.8em}table.tests th:nth-child(3){width:8.8em}'
         'table.tests th:nth-child(4){width:6.5em}table.tests th:nth-child(5){width:22%}'
         'table.dist th{white-space:nowrap}'
         'meter{width:4.5em;vertical-align:middle;margin-right:.3em}details{margin:-.6em 0 1em}'
         'summary{cursor:pointer;color:#05a}.key li{margin:.15em 0}p.note{font-size:.9em;color:#555;max-width:60em}'
         '.s1{background:#eff3ff}.s2{background:#c6dbef}.s3{background:#9ecae1}.s4{background:#6baed6}'
         '.s5{background:#3182bd;color:#fff}')


UP = '<a class="up" href="#top">back to the contents</a>'
# Even if an escape were missed, the browser loads and runs nothing: no script, no request.
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


class Markup(str):
    """HTML built here from escaped pieces: table() puts it in a cell as it is."""


class Shaded(int):
    """A count that table() shows in a cell shaded by `level` (1 to SHADES; 0: not shaded)."""

    def __new__(cls, count, level):
        number = super().__new__(cls, count)
        number.level = level
        return number


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


def failures(collected):
    """{test: (title, outcomes, diagnoses)} of every test: its title (the name without the part),
    how often each outcome failed it (Counter) and in how many submissions each diagnosis
    key was found in its failures (Counter)."""
    found = {}
    for results in collected.values():
        for test in results.get('tests', []):
            extra = test['extra_data']
            title, outcomes, keys = found.setdefault(test['name'], (extra.get('title', test['name']), Counter(),
                                                                    Counter()))
            if test['status'] != 'passed':
                outcomes[extra.get('outcome', 'failed')] += 1
                keys.update({diagnosis['key'] for diagnosis in extra.get('diagnoses') or []})
    return found


def diagnoses(collected, excluded=(), limit=DIAGNOSES):
    """The most frequent diagnoses, and what was left without one.

    Over the failed tests of the submissions not `excluded` (those that could not be read
    or graded), except tests failed because a function is missing or not implemented yet.
    A diagnosis is counted by its key, wherever it was recognised: a missing 1/N in two
    functions is one row.

    Returns:
    - rows: (key, functions, submissions, tests, example), most submissions first, at most
      `limit`; functions: ((function, submissions it was recognised in there), ...), most
      first; the example is one such diagnosis's sentence
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
                entry = found.setdefault(diagnosis['key'], [set(), defaultdict(set), 0, _cut(diagnosis['text'])])
                entry[0].add(ident)
                entry[1][diagnosis['function']].add(ident)
                entry[2] += 1
    rows = [(key, tuple(sorted(((name, len(ids)) for name, ids in functions.items()), key=lambda f: (-f[1], f[0]))),
             len(ids), tests, example) for key, (ids, functions, tests, example) in found.items()]
    return sorted(rows, key=lambda row: (-row[2], -row[3], row[0]))[:limit], (plain, len(plain_ids))


def _cut(text, limit=EXAMPLE):
    return text if len(text) <= limit else text[:limit] + ' …'


def ungraded(facts):
    """Rows (id, what happened, why) from summary facts: unreadable, then harness errors."""
    return ([(entry['id'], 'could not be read (graded 0)', _cut(entry['reason'])) for entry in facts['unreadable']]
            + [(entry['id'], 'the grader failed (no score)', _cut(entry['reason']))
               for entry in facts['harness_errors']])


def slowest(collected, limit=SLOWEST):
    """Rows (id, seconds, score, slowest test, its seconds) of the slowest gradings; a result
    without tests (the grader failed) was no grading."""
    rows = []
    for ident, results in collected.items():
        tests = results.get('tests', [])
        if tests:
            test = max(tests, key=lambda t: t['extra_data'].get('duration', 0))
            rows.append((ident, results.get('execution_time', 0), results.get('score', 0), test['name'],
                         test['extra_data'].get('duration', 0)))
    return sorted(rows, key=lambda row: (-row[1], row[0]))[:limit]


def table(caption, header, rows, numeric=(), css=None):
    """An HTML table; every cell escaped but Markup. numeric: indexes of right-aligned columns;
    css: the table's class."""
    head = ''.join(f'<th scope="col">{html.escape(str(cell))}</th>' for cell in header)
    body = ''.join('<tr>' + ''.join(_cell(cell, index in numeric) for index, cell in enumerate(row)) + '</tr>'
                   for row in rows)
    opening = f'<table class="{css}">' if css else '<table>'
    return f'{opening}<caption>{html.escape(caption)}</caption><tr>{head}</tr>{body}</table>'


def _cell(cell, numeric):
    classes = ' '.join((['n'] if numeric else []) + ([f's{cell.level}'] if getattr(cell, 'level', 0) else []))
    text = cell if isinstance(cell, Markup) else html.escape(_text(cell))
    return f'<td class="{classes}">{text}</td>' if classes else f'<td>{text}</td>'


def _text(cell):
    """A cell as text: floats to 3 significant digits below 1, else to one decimal."""
    if isinstance(cell, float):
        return f'{cell:.3g}' if abs(cell) < 1 else f'{round(cell, 1):g}'
    return '' if cell is None else str(cell)


def _count(number, noun):
    """'1 submission', '3 submissions'."""
    return f'{number} {noun}' if number == 1 else f'{number} {noun}s'


def new_figure(figsize):
    """A matplotlib Figure with constrained layout. matplotlib is imported here, on first use:
    grading a submission draws nothing, and importing it would add about 0.6 s to every grading."""
    from matplotlib.figure import Figure
    return Figure(figsize=figsize, layout='constrained')


def integer_ticks(axis):
    """Ticks at whole numbers only on a matplotlib axis that counts something (submissions)."""
    from matplotlib.ticker import MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True))


def image(fig, alt, dpi=90):
    """An <img> of a matplotlib figure, as a PNG data URI, with alt text and its size in pixels
    (the page does not move as it loads)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=dpi)
    data = base64.b64encode(buffer.getvalue()).decode('ascii')
    width, height = (round(inches * dpi) for inches in fig.get_size_inches())
    return Markup(f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" '
                  f'alt="{html.escape(alt)}">')


def distribution_figure(counts, mean, median):
    """A bar chart of submissions per tenth of the points, with the mean and median marked."""
    fig = new_figure((7.5, 2.3))
    axes = fig.subplots()
    bars = axes.bar([10 * k + 5 for k in range(BINS)], counts, width=9, color='tab:blue')
    axes.bar_label(bars, fontsize=8)
    axes.axvline(mean, color='tab:orange', label=f'mean {mean:g} %')
    axes.axvline(median, color='tab:green', linestyle='--', label=f'median {median:g} %')
    axes.set_xticks(range(0, 101, 10))
    axes.set(xlim=(0, 100), xlabel='% of the points', ylabel='submissions')
    integer_ticks(axes.yaxis)
    axes.margins(y=0.15)
    axes.legend(fontsize=8, loc='upper left')
    return fig


def page(collected, facts):
    """The report's HTML.

    Inputs:
    - collected: {submission id: results}
    - facts: gradebook.summary(collected) (count, graded, mean, median, unreadable, harness errors)
    """
    lost = ungraded(facts)
    shares, rates = distribution(collected), pass_rates(collected)
    found = diagnoses(collected, {ident for ident, *_ in lost})
    names = [part for part, _ in parts(collected)]
    names += sorted({part for _, part, *_ in rates} - set(names), key=_natural)
    anchors = {name: f'part-{number}' for number, name in enumerate(names, start=1)}
    points, failed = dict(parts(collected)), failures(collected)
    share = {row[0]: row for row in shares[:-1]}
    sections = [_header(facts, sum(points.values()), shares, rates, found[0], anchors),
                _scores_section(shares, anchors), _diagnoses_section(found, facts), _ungraded_section(lost),
                *(_part_section(name, anchors[name], points.get(name), share.get(name),
                                [row for row in rates if row[1] == name], failed) for name in names),
                _slowest_section(slowest(collected))]
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}"><title>Class report</title>'
            f'<style>{STYLE}</style></head><body id="top">' + '\n'.join(sections) + '</body></html>\n')


def _header(facts, total, shares, rates, rows, anchors):
    """The title, the key numbers and the links to every section; total: the points of every part."""
    unread, failed = len(facts['unreadable']), len(facts['harness_errors'])
    lead = (f'{_count(facts["count"], "submission")}, {facts["graded"]} graded'
            + (f' ({unread} of them could not be read and got 0)' if unread else '')
            + (f'; the grader failed on {failed}, which have no score' if failed else '')
            + (f'. Mean score {_text(facts["mean"])} of {_text(total)} points, median {_text(facts["median"])}'
               if facts['mean'] is not None else '')
            + '. The numbers come from the results in results/; summary.json and gradebook.csv have them too.')
    key = []
    means = [(mean, name) for name, _, mean, _ in shares[:-1] if mean is not None]
    if means:
        mean, name = min(means)
        key.append(f'Lowest part: <a href="#{anchors[name]}">{html.escape(name)}</a>, mean {mean:g} % of its points.')
    if rates:
        name, part, _, passed, graded = rates[0]
        key.append(f'Lowest pass rate: {html.escape(name)}, {passed} of {graded} '
                   f'(<a href="#{anchors[part]}">its part</a>).')
    if rows:
        diagnosis, _, submissions, _, _ = rows[0]
        key.append(f'Most frequent diagnosis: <a href="#diagnoses">{html.escape(diagnosis)}</a>, in '
                   f'{_count(submissions, "submission")}.')
    links = ''.join(f'<li><a href="#{anchor}">{html.escape(name)}</a></li>' for name, anchor in anchors.items())
    nav = ('<nav aria-label="Contents"><ul><li><a href="#summary">Summary</a>: <a href="#scores">scores</a>, '
           '<a href="#diagnoses">most frequent diagnoses</a>, <a href="#ungraded">submissions not graded</a> '
           f'({unread + failed})</li><li>Parts<ul>{links}</ul></li>'
           '<li><a href="#slowest">Slowest gradings</a></li></ul></nav>')
    return ('<h1>Class report</h1>' + f'<p>{html.escape(lead)}</p>'
            + (f'<ul class="key">{"".join(f"<li>{line}</li>" for line in key)}</ul>' if key else '') + nav
            + '<h2 id="summary">Summary</h2>')


def _shaded(counts):
    """A row of counts as Shaded cells, each by its share of the row's largest."""
    top = max(counts, default=0)
    return [Shaded(count, -(-SHADES * count // top) if count else 0) for count in counts]


def _scores_section(shares, anchors):
    """The total's distribution as a figure, then every part's and the total's as a table."""
    section = ['<h3 id="scores">Scores</h3>']
    _, counts, mean, median = shares[-1]
    if sum(counts):
        section.append(image(distribution_figure(counts, mean, median),
                             f'Bar chart of how many submissions scored each tenth of the total points: '
                             f'{", ".join(f"{10 * k}-{10 * k + 10} %: {count}" for k, count in enumerate(counts))}'
                             f'; mean {mean:g} %, median {median:g} %. The table below gives these counts and '
                             'those of every part.'))
    header = ['Part', *TENTHS, 'Mean %', 'Median %']
    rows = [(Markup(f'<a href="#{anchors[part]}">{html.escape(part)}</a>') if part in anchors else part,
             *_shaded(counts), mean, median) for part, counts, mean, median in shares]
    section.append(table('Submissions per tenth of the points (%; 100 % counts in 90-100), darker where more',
                         header, rows, numeric=range(1, BINS + 3), css='dist'))
    return '\n'.join(section)


def _diagnoses_section(found, facts):
    """The most frequent diagnoses: what they count, and their table; found: as diagnoses gives."""
    rows, (plain, plain_submissions) = found
    graded = facts['graded'] - len(facts['unreadable'])
    cells = [(key, submissions, f'{submissions / graded:.0%}' if graded else '', tests, _functions(functions),
              example) for key, functions, submissions, tests, example in rows]
    return '\n'.join([
        f'<h3 id="diagnoses">The {len(rows)} most frequent diagnoses</h3>' if rows else
        '<h3 id="diagnoses">Most frequent diagnoses: none</h3>',
        '<p class="note">The causes the grader recognised in failed tests, counted wherever they were found, most '
        'submissions first (the share is of the graded submissions that could be read). Tests failed because a '
        f'function is missing or not implemented yet are left out, as the pass rates count them; so are the '
        f'{_count(plain, "failed test")} (of {_count(plain_submissions, "submission")}) whose feedback names no '
        'recognised cause and only reports what differs. Examples may quote student output: read them as text.</p>',
        table('Diagnoses, most submissions first', ['Diagnosis', 'Submissions', 'Share', 'Tests',
                                                          'Found in (submissions)', 'Example'],
              cells, numeric=(1, 2, 3), css='wide') if rows else ''])


def _functions(functions):
    """'f (12), g (3), +2 more' of ((function, submissions), ...), most first."""
    shown = ', '.join(f'{name} ({count})' for name, count in functions[:FUNCTIONS])
    return shown + (f', +{len(functions) - FUNCTIONS} more' if len(functions) > FUNCTIONS else '')


def _ungraded_section(lost):
    """The submissions that could not be read or graded, and why; lost: as ungraded gives."""
    return (f'<h3 id="ungraded">Submissions that could not be graded ({len(lost)})</h3>'
            + (table('Not read or not graded, and why', ['Submission', 'What happened', 'Why'], lost)
               if lost else '<p>None: every submission was read and graded.</p>'))


def _part_section(name, anchor, points, share, rows, failed):
    """One part: its points and distribution, then its tests, lowest pass rate first, the best folded.

    share: its row of distribution (None without one); rows: its rows of pass_rates;
    failed: as failures gives.
    """
    head = (f'{UP}<h2 id="{anchor}">{html.escape(name)}</h2>'
            f'<p>{_text(points)} points in {_count(len(rows), "test")}'
            + (f'; mean {share[2]:g} %, median {share[3]:g} % of the points.</p>' if share and share[2] is not None
               else '.</p>'))
    if share:
        head += table("Submissions per tenth of the part's points (%)", TENTHS, [_shaded(share[1])],
                      numeric=range(BINS))
    header = ['Test', 'Points', 'Pass rate', 'Passed', 'Failed as', 'Top diagnoses (submissions)']
    cells = [_test_row(row, failed[row[0]]) for row in rows]
    shown = len(cells) if len(cells) <= SHOWN + 2 else SHOWN
    pieces = [head, table('Its tests, lowest pass rate first' + (f' (the {shown} lowest)' if shown < len(cells)
                                                                  else ''),
                          header, cells[:shown], numeric=(1, 3), css='wide tests')]
    if shown < len(cells):
        pieces.append(f'<details><summary>The other {len(cells) - shown} tests of {html.escape(name)}</summary>'
                      + table('The other tests, lowest pass rate first', header, cells[shown:], numeric=(1, 3),
                              css='wide tests')
                      + '</details>')
    return '\n'.join(pieces)


def _test_row(row, failed):
    """A test's cells: title, points, a bar and the pass rate, passed of graded, how it failed, its top diagnosis."""
    _, _, points, passed, graded = row
    title, outcomes, keys = failed
    rate = passed / graded
    bar = Markup(f'<meter min="0" max="1" low="0.5" high="0.8" optimum="1" value="{rate:.3f}"></meter>{rate:.0%}')
    how = ', '.join(f'{outcome.replace("_", " ")} {count}' for outcome, count in outcomes.most_common())
    top = ', '.join(f'{key} ({count})' for key, count in keys.most_common(2))
    return title, points, bar, f'{passed} of {graded}', how, top


def _slowest_section(rows):
    """The slowest gradings, with their slowest test; rows: as slowest gives."""
    heading = {0: 'Slowest gradings', 1: 'The slowest grading'}.get(len(rows), f'The {len(rows)} slowest gradings')
    return (f'{UP}<h2 id="slowest">{heading}</h2>'
            + (table('Gradings, slowest first, with their slowest test', ['Submission', 'Seconds', 'Score',
                                                                          'Slowest test', 'Its seconds'],
                     rows, numeric=(1, 2, 4), css='wide') if rows else '<p>No submission was graded.</p>'))


def write(collected, facts, path):
    """Write report.html to path (through a temporary file, so a reader never sees half of it)."""
    tmp = path.with_name(f'.{path.name}.tmp')
    tmp.write_text(page(collected, facts), encoding='utf-8')
    tmp.replace(path)
