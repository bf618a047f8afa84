"""Screenshots of a local HTML page in headless Chromium; a class report of synthetic results to look at.

Usage:
  python -m tools.screenshot PAGE.html OUT.png [--width 1280]
  python -m tools.screenshot --class-report N OUT_DIR [--width 1280] [--template RESULTS.json] [--seed 0]

The first form prints the page's height and writes a screenshot of the whole page (up to
MAX_HEIGHT pixels). The second writes N synthetic results files into OUT_DIR/results/
(the results format the grader writes, derived from one real results file: by default the
reference graded with every suite), builds OUT_DIR/report.html with the class report's own
entry point, prints how long that took, and writes OUT_DIR/report.png (the whole page) and
OUT_DIR/report_top.png (the first screen).

Chromium is Debian's (/usr/bin/chromium, `apt-get install chromium`), run with a fresh
profile and no network service that would call home.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHROMIUM = '/usr/bin/chromium'
FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars')
MAX_HEIGHT = 30000          # pixels; Chromium's software renderer copes, a PNG viewer may not
TOP = 1000                  # pixels of the first-screen shot
POLICY = re.compile(r'<meta[^>]+http-equiv=["\']?content-security-policy[^>]*>', re.IGNORECASE)
# Run on a copy of the page once everything (inline images too) is laid out: the height in the title.
MEASURE = ("<script>addEventListener('load', () => { document.title = 'height=' + "
           "Math.ceil(document.documentElement.getBoundingClientRect().height); });</script>")


def chromium(page, *flags, timeout=120):
    """Run headless Chromium on a local page with a fresh profile; its stdout."""
    if not Path(CHROMIUM).exists():
        sys.exit(f'{CHROMIUM} not found: apt-get install chromium')
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([CHROMIUM, *FLAGS, f'--user-data-dir={profile}', *flags, Path(page).resolve().as_uri()],
                              capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode:
        sys.exit(f'chromium failed ({done.returncode}): {done.stderr[-2000:]}')
    return done.stdout


def page_height(page, width):
    """The height in CSS pixels of a local page laid out `width` pixels wide."""
    page = Path(page)
    # Beside the page, so that relative links resolve as they do for the page itself.
    copy = page.with_name(f'.{page.stem}.measure.html')
    # A page's Content-Security-Policy would forbid the measuring script; it does not change the layout.
    text = POLICY.sub('', page.read_text(encoding='utf-8'))
    at = text.lower().rfind('</body>')
    copy.write_text(text[:at] + MEASURE + text[at:] if at >= 0 else text + MEASURE, encoding='utf-8')
    try:
        dom = chromium(copy, f'--window-size={width},800', '--virtual-time-budget=10000', '--dump-dom')
    finally:
        copy.unlink()
    found = re.search(r'<title>height=(\d+)</title>', dom)
    if not found:
        sys.exit(f'could not measure {page}: the page did not finish loading')
    return int(found.group(1))


def screenshot(page, out, width, height):
    """Write a PNG of the top `height` pixels (at most MAX_HEIGHT) of a local page laid out `width` pixels wide."""
    chromium(page, f'--window-size={width},{min(height, MAX_HEIGHT)}', f'--screenshot={Path(out).resolve()}')


def whole_page(page, out, width):
    """Write a PNG of a whole local page (or its top MAX_HEIGHT pixels); its height, and a note when cut."""
    height = page_height(page, width)
    screenshot(page, out, width, height)
    return height, f' (the screenshot is cut at {MAX_HEIGHT} px)' if height > MAX_HEIGHT else ''


# Mistakes of a backprop homework, keyed as the grader keys its diagnoses: (key, weight, sentence).
# "{function}" in a key makes one key per function, as an exception's diagnosis is.
MISTAKES = [
    ('missing 1/N', 8, 'A missing 1/N (N = {n}): average over the batch, do not only sum.'),
    ('transposed', 5, 'The result is the transpose of the expected one: check which axis holds the samples.'),
    ('not finite', 4, 'An exp or a log overflowed: use a numerically stable form.'),
    ('sign flipped', 3, 'The sign is flipped: the gradient of the loss, not of its negative.'),
    ('wrong axis', 3, 'Summed over axis 0 instead of axis 1: each row is one sample.'),
    ('extra 1/C', 2, 'An extra 1/C (C = {n}): average over the N samples, not the N*C entries.'),
    ('{function} raises ValueError', 2, "ValueError: operands could not be broadcast together with shapes "
                                        "({n},10) (10,{n}) <in {function}> at x = a @ W.T"),
    ('bias gradient not summed', 1, 'The bias gradient has one row per sample: sum it over the batch.'),
]
EXCEPTION = ('{function} raises IndexError', 1, 'IndexError: index 10 is out of bounds for axis 1 with size 10')


def reference_results():
    """The homework's reference graded with every suite: a results dict with every test passed."""
    from grader.engine.grading import grade
    from grader.spec import SPEC
    return grade(SPEC.root / 'solution', SPEC, 'all')


def synthetic(template, count, seed=0):
    """{id: results} of `count` made-up submissions with the tests, parts and points of `template`
    (a results dict; its tests' outcomes do not matter).

    Each mistake of MISTAKES is made in a few functions. Each student has an ability, stops
    at some part (the tests after it are not implemented) and makes a few of those
    (mistake, function) pairs: every failed test of that function names the mistake. Other
    failures name no cause, or an exception in the function. About 1 in 100 submissions
    cannot be read and 1 in 150 is the grader's failure.
    """
    from grader.engine.output.gradescope import points, summary

    rng = np.random.default_rng(seed)
    tests, parts = template['tests'], template['extra_data']['parts']
    functions = sorted({test['tags'][0] for test in tests})
    pairs = [(mistake, function) for mistake in MISTAKES
             for function in rng.choice(functions, min(len(functions), rng.integers(1, 5)), replace=False)]
    weights = np.array([mistake[1] for mistake, _ in pairs], float)
    difficulty = rng.beta(1.2, 8, len(tests))
    unreadable, failed = max(1, count // 100), count // 150
    collected = {}
    for number in range(count):
        ident = f'student-{number + 1:03d}'
        if number < failed:
            collected[ident] = _harness_error(template, ident)
            continue
        ability = rng.beta(5, 2)
        stop = len(parts) if rng.random() < ability else rng.integers(1, len(parts) + 1)
        chosen = rng.choice(len(pairs), min(len(pairs), rng.poisson(2 * (1 - ability) + 0.3)), replace=False,
                            p=weights / weights.sum())
        held = {pairs[index][1]: pairs[index][0] for index in chosen}
        mine = [_test(test, parts.index(test['extra_data']['part']) >= stop, held.get(test['tags'][0]),
                      difficulty[index] * (1.6 - ability), rng)
                for index, test in enumerate(tests)]
        extra = dict(template['extra_data'], submission_id=ident, outcome='graded',
                     sha256=f'{rng.integers(2 ** 63):064x}', seed=int(rng.integers(2 ** 31)))
        if number >= count - unreadable:
            extra['read_error'] = f'{ident}.zip is not a readable zip archive (BadZipFile: File is not a zip file)'
            mine = [_failed(test, 'missing', f'the submission could not be read: {extra["read_error"]}', [])
                    for test in tests]
        score = points(sum(test['score'] for test in mine))
        slow = 6 if rng.random() < 0.02 else 1
        collected[ident] = {'score': score, 'output': summary(mine, parts, score),
                            'execution_time': round(slow * (3 + sum(t['extra_data']['duration'] for t in mine)), 3),
                            'tests': mine, 'extra_data': extra}
    return collected


def _test(test, unattempted, mistake, risk, rng):
    """One test of a made-up submission: passed, not implemented, or failed with or without a diagnosis."""
    function = test['tags'][0]
    duration = round(test['extra_data']['duration'] * rng.lognormal(0, 0.4), 4)
    if unattempted:
        return _failed(test, 'not_implemented', f'{function} is not implemented yet', [], duration)
    if mistake is None and rng.random() > risk:
        return dict(test, score=test['max_score'], status='passed', output='',
                    extra_data=dict(test['extra_data'], outcome='passed', diagnoses=[], duration=duration))
    if mistake is None and rng.random() < 0.95:
        return _failed(test, 'wrong', 'The result differs from the expected one in 12 of 40 entries.', [], duration)
    key, _, sentence = mistake or EXCEPTION
    text = sentence.format(function=function, n=rng.choice([2, 8, 64]))
    outcome = 'error' if 'raises' in key else 'wrong'
    return _failed(test, outcome, text, [{'function': function, 'key': key.format(function=function), 'text': text}],
                   duration)


def _failed(test, outcome, feedback, diagnoses, duration=None):
    extra = dict(test['extra_data'], outcome=outcome, diagnoses=diagnoses)
    if duration is not None:
        extra['duration'] = duration
    return dict(test, score=0, status='failed', output=feedback, extra_data=extra)


def _harness_error(template, ident):
    """A result as a batch writes it when the grader fails on a submission."""
    return {'score': 0, 'execution_time': 0, 'tests': [],
            'output': 'The grader failed on this submission and could not score it: worker exited with signal 9',
            'extra_data': {'submission_id': ident, 'outcome': 'harness_error', 'suite': 'all', 'max_score': 0,
                           'grader_version': template['extra_data'].get('grader_version'), 'sha256': None,
                           'error': 'Traceback (most recent call last): ... HarnessError: worker exited'}}


def class_report(count, out, width, template=None, seed=0):
    """Write `count` synthetic results into out/results/, build out/report.html, screenshot it."""
    from grader.engine.output import class_report as report, gradebook

    base = json.loads(Path(template).read_text()) if template else reference_results()
    out = Path(out)
    shutil.rmtree(out / 'results', ignore_errors=True)
    (out / 'results').mkdir(parents=True)
    for ident, results in synthetic(base, count, seed).items():
        (out / 'results' / f'{ident}.json').write_text(json.dumps(results))
    collected = gradebook.collect([out])
    start = time.perf_counter()
    report.write(collected, gradebook.summary(collected), out / 'report.html')
    built = time.perf_counter() - start
    height, cut = whole_page(out / 'report.html', out / 'report.png', width)
    screenshot(out / 'report.html', out / 'report_top.png', width, TOP)
    size = (out / 'report.html').stat().st_size
    print(f'{count} submissions: report.html built in {built:.2f} s, {size / 1e6:.2f} MB, {height} px tall at '
          f'{width} px wide{cut}; {out}/report.png, report_top.png')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('page', type=Path, help='the HTML file (with --class-report: the output folder)')
    parser.add_argument('out', type=Path, nargs='?', help='the PNG to write')
    parser.add_argument('--width', type=int, default=1280, help='window width in pixels (default: %(default)s)')
    parser.add_argument('--class-report', type=int, metavar='N',
                        help='build a class report of N synthetic submissions in the folder PAGE and screenshot it')
    parser.add_argument('--template', type=Path, help='a results file whose tests the synthetic submissions take '
                                                      '(default: the reference, graded with every suite)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the synthetic submissions')
    args = parser.parse_args(argv)
    if args.class_report:
        class_report(args.class_report, args.page, args.width, args.template, args.seed)
        return 0
    if args.out is None:
        parser.error('OUT.png is required')
    height, cut = whole_page(args.page, args.out, args.width)
    print(f'{args.page}: {height} px tall at {args.width} px wide; {args.out}{cut}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
