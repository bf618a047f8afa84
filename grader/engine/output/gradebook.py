"""Reports over many results: gradebook.csv, summary.json, summary.md, summary.png and report.html.

They are built from the per-submission result files only, so a gradebook merged from
shards is the same as one from a single run.
"""

import csv
import json
import shutil
import statistics
from pathlib import Path

from ..layout import RESULTS, write_json_atomically
from ..text import spreadsheet_safe
from . import class_report
from .gradescope import points

HARDEST = 10


def collect(folders):
    """{submission id: results} from the results/<id>.json files of one or more output folders.

    Raises ValueError when two folders hold a result for the same submission.
    """
    found = {}
    for folder in map(Path, folders):
        for path in sorted((folder / RESULTS).glob('*.json')):
            if path.stem in found:
                raise ValueError(f'two results for {path.stem!r}: shards overlap')
            found[path.stem] = json.loads(path.read_text())
    return dict(sorted(found.items()))


def outcome(results):
    """'graded', 'unreadable' (read but nothing could be used) or 'harness_error'."""
    extra = results.get('extra_data', {})
    if extra.get('outcome') == 'harness_error':
        return 'harness_error'
    return 'unreadable' if extra.get('read_error') else 'graded'


def part_names(collected):
    """The parts of the assignment, in order, as the results record them."""
    names = []
    for results in collected.values():
        names += [name for name in results.get('extra_data', {}).get('parts', []) if name not in names]
    return names


def rows(collected):
    """One gradebook row per submission: id, score, max, percent, points per part, outcome."""
    table, names = [], part_names(collected)
    for ident, results in collected.items():
        maximum = results.get('extra_data', {}).get('max_score', 0)
        parts = dict.fromkeys(names, 0)
        for test in results.get('tests', []):
            parts[test['extra_data']['part']] += test['score']
        table.append({'id': ident, 'score': results['score'], 'max_score': maximum,
                      'percent': round(100 * results['score'] / maximum, 2) if maximum else 0.0,
                      **{part: points(score) for part, score in parts.items()}, 'outcome': outcome(results)})
    return table


def summary(collected):
    """Counts, mean, median, per-test pass rates and the submissions that could not be graded."""
    scores = [r['score'] for r in collected.values() if outcome(r) != 'harness_error']
    passes = {}
    for results in collected.values():
        for test in results.get('tests', []):
            passes.setdefault(test['name'], []).append(test['status'] == 'passed')
    return {
        'count': len(collected),
        'graded': len(scores),
        'mean': round(statistics.fmean(scores), 4) if scores else None,
        'median': statistics.median(scores) if scores else None,
        'pass_rate': {name: round(sum(p) / len(p), 4) for name, p in sorted(passes.items())},
        'harness_errors': [{'id': i, 'reason': r['output']} for i, r in collected.items()
                           if outcome(r) == 'harness_error'],
        'unreadable': [{'id': i, 'reason': r['extra_data']['read_error']} for i, r in collected.items()
                       if outcome(r) == 'unreadable'],
    }


def write(collected, out):
    """Write gradebook.csv, summary.json, summary.md, summary.png and report.html into out."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = rows(collected)
    fields = ['id', 'score', 'max_score', 'percent', *part_names(collected), 'outcome']
    with open(out / 'gradebook.csv.tmp', 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in table)
    (out / 'gradebook.csv.tmp').replace(out / 'gradebook.csv')
    facts = summary(collected)
    write_json_atomically(facts, out / 'summary.json')
    (out / 'summary.md').write_text(markdown(facts), encoding='utf-8')
    figure(facts, [row['percent'] for row in table if row['outcome'] != 'harness_error'], collected).savefig(
        out / 'summary.png', dpi=100)
    class_report.write(collected, facts, out / 'report.html')


def merge(folders, out):
    """Copy the results of shard folders into out and write the reports there."""
    collected = collect(folders)
    out = Path(out)
    (out / RESULTS).mkdir(parents=True, exist_ok=True)
    for folder in map(Path, folders):
        for path in (folder / RESULTS).glob('*.json'):
            if path.parent.resolve() != (out / RESULTS).resolve():
                shutil.copyfile(path, out / RESULTS / path.name)
    write(collected, out)
    return collected


def markdown(facts):
    """A short report for the instructor: the numbers, the hardest tests, what broke."""
    lines = ['# Grading summary', '',
             f"{facts['count']} submissions, {facts['graded']} graded; mean score {facts['mean']}, "
             f"median {facts['median']}.", '', f'## The {HARDEST} hardest tests', '',
             '| test | pass rate |', '|---|---|']
    hardest = sorted(facts['pass_rate'].items(), key=lambda item: (item[1], item[0]))[:HARDEST]
    lines += [f'| {name} | {rate:.0%} |' for name, rate in hardest]
    lines += ['', '## Submissions the harness could not grade', '']
    lines += [f"- {e['id']}: {e['reason']}" for e in facts['harness_errors']] or ['None.']
    lines += ['', '## Submissions that could not be read (graded 0)', '']
    lines += [f"- {e['id']}: {e['reason']}" for e in facts['unreadable']] or ['None.']
    return '\n'.join(lines) + '\n'


def figure(facts, percents, collected):
    """Score histogram above the pass rate of every test, hardest first, coloured by part."""
    rates = sorted(facts['pass_rate'].items(), key=lambda item: (item[1], item[0]))
    tests = {test['name']: test['extra_data'] for results in collected.values() for test in results.get('tests', [])}
    fig = class_report.new_figure((11, 3.5 + 0.16 * len(rates)))
    top, bottom = fig.subplots(2, 1, height_ratios=[3.5, 0.16 * max(len(rates), 1)])
    top.hist(percents, bins=range(0, 105, 5), color='tab:blue', edgecolor='white')
    top.set(xlabel='score (% of the maximum)', ylabel='submissions', xlim=(0, 100),
            title=f"Scores of {facts['graded']} graded submissions (mean {facts['mean'] or 0:.1f}, "
                  f"median {facts['median'] or 0:g})")
    class_report.integer_ticks(top.yaxis)       # counts of submissions: no half ticks
    colours = {part: f'C{index}' for index, part in enumerate(part_names(collected))}
    bottom.barh(range(len(rates)), [rate for _, rate in rates], color=[colours[tests[name]['part']] for name, _ in rates])
    labels = [tests[name]['title'][:90] for name, _ in rates]
    bottom.set_yticks(range(len(rates)), labels, fontsize=7)
    bottom.set(xlabel='fraction of submissions passing (colour: part)', xlim=(0, 1), ylim=(len(rates) - 0.5, -0.5),
               title='Pass rate per test, hardest first')
    return fig
