"""tools/screenshot.py: made-up results the class report reads like real ones, and a page's
height and screenshot from headless Chromium (Debian's package; .ci/run installs it)."""

import json
import struct

from grader.engine.output import class_report, gradebook
from tools import screenshot


def template():
    """A results file as the grader writes it: two parts, three tests, every one passed."""
    tests = [{'name': f'{part}: {title}', 'score': points, 'max_score': points, 'status': 'passed', 'output': '',
              'tags': [function], 'visibility': 'visible',
              'extra_data': {'outcome': 'passed', 'part': part, 'title': title, 'nodeid': f'x.py::{function}',
                             'duration': 0.01, 'faults': [], 'diagnoses': []}}
             for part, title, function, points in (('1. Fitting', 'fit is exact', 'fit', 2),
                                                   ('1. Fitting', 'fit of one point', 'fit', 1),
                                                   ('2. Predicting', 'predict is X @ w', 'predict', 3))]
    return {'score': 6, 'execution_time': 1.0, 'output': '', 'tests': tests,
            'extra_data': {'suite': 'all', 'grader_version': '0', 'max_score': 6,
                           'parts': ['1. Fitting', '2. Predicting']}}


def test_the_made_up_class_reads_like_a_graded_one():
    collected = screenshot.synthetic(template(), 300, seed=1)
    facts = gradebook.summary(collected)
    assert facts['count'] == 300 and len(facts['unreadable']) == 3 and len(facts['harness_errors']) == 2
    for results in collected.values():
        json.dumps(results)
        assert results['score'] == sum(test['score'] for test in results['tests'])
    rows, _ = class_report.diagnoses(collected, {ident for ident, *_ in class_report.ungraded(facts)})
    assert rows and all(functions and example for _, functions, _, _, example in rows)
    assert '<h2 id="slowest">The 10 slowest gradings</h2>' in class_report.page(collected, facts)


def test_a_whole_page_is_measured_and_shot(tmp_path):
    page = tmp_path / 'page.html'
    # A policy as the class report's: it forbids scripts, the measuring one too, in the page itself.
    page.write_text('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src '
                    "'none'; style-src 'unsafe-inline'\"><style>body{margin:0}div{height:2345px}</style></head>"
                    '<body><div>tall</div></body></html>')
    height, cut = screenshot.whole_page(page, tmp_path / 'page.png', 640)
    assert (height, cut) == (2345, '')
    header = (tmp_path / 'page.png').read_bytes()[:24]
    assert header[:4] == b'\x89PNG' and struct.unpack('>II', header[16:24]) == (640, 2345)
    assert sorted(path.name for path in tmp_path.iterdir()) == ['page.html', 'page.png'], 'the measuring copy is gone'
