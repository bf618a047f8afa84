"""The class report: diagnoses grouped across students and functions, figures with alt text
and tables of the same numbers, and nothing from a submission ever read as HTML."""

import base64
import json
import re
from html import escape as html_escaped

import pytest

from grader.engine import batch
from grader.engine.output import class_report, gradebook
from tests.submissions import PARTS_1_TO_3, build
from tests.test_mutants import BUGS

HOSTILE = "<script>alert('owned')</script>"
MALLORY = '<i>mallory'


@pytest.fixture(scope='module')
def graded(tmp_path_factory):
    """A batch graded with the public suite of parts 1-3: two different bugs that both forget a
    1/N, a relu that raises with a hostile message (under a hostile id), the reference and a
    broken zip; then a result as the batch writes it when the harness fails."""
    root = tmp_path_factory.mktemp('submissions')
    for ident, bug in (('summed', BUGS[3]), ('no_mean', BUGS[5])):
        build(root / ident, replace=[bug[1:4]])
    build(root / MALLORY, replace=[('activations.py', 'return np.maximum(x, 0.0)', f'raise ValueError({HOSTILE!r})')])
    build(root / 'ref')
    (root / 'broken.zip').write_bytes(b'PK\x03\x04 not a zip')
    out = tmp_path_factory.mktemp('out')
    batch.run(PARTS_1_TO_3, root, out, jobs=2, suite='public', progress=False)
    failed = {'score': 0, 'execution_time': 0, 'tests': [], 'output': 'The grader failed on this submission: boom',
              'extra_data': {'submission_id': 'crashed', 'outcome': 'harness_error', 'max_score': 0}}
    (out / 'results' / 'crashed.json').write_text(json.dumps(failed))
    collected = gradebook.collect([out])
    gradebook.write(collected, out)
    return out, collected


def test_one_mistake_in_two_functions_is_one_diagnosis(graded):
    _, collected = graded
    facts = gradebook.summary(collected)
    rows, _ = class_report.diagnoses(collected, {ident for ident, *_ in class_report.ungraded(facts)})
    key, submissions, tests, example = rows[0]
    assert key == 'a missing 1/N (…): average over the batch, do not only sum'
    assert submissions == 2 and tests >= 4
    assert 'a missing 1/N (N = ' in example
    raised = [row for row in rows if row[0].startswith('relu raised ValueError')]
    assert raised and raised[0][1] == 1 and 'alert' in raised[0][0]


@pytest.mark.parametrize('feedback, outcome, key', [
    ("deep_loss(X, y, params, 'relu', 0.1) returned 4.16217; expected 3.48792. Every entry is 1.19331 times the "
     'expected one: a constant factor is off.', 'wrong',
     'a constant factor is off'),
    ("backprop(X, y, params, 'tanh', 0)['W1'] fails the numerical gradient check: largest relative error 1.00e+00 "
     '(accepted: 1e-05) at [0, 2], where the analytic gradient is -0.0731832 and the centered difference gives '
     '0.0503588.', 'wrong', None),
    ("predict(X, params, 'tanh') returned wrong values in 2 of 6 entries; at [2]: expected 1, got 0; at [5]: expected "
     '1, got 0.', 'wrong', None),
    ('deep_fit returned 1954 losses that are NaN or inf, the first at pass 1046 (losses before it: [416.38, 416.98]): '
     'the training diverged', 'wrong', 'the training diverged'),
    ('softmax(x) for x of shape (9, 2): each column sums to 1 instead of each row; a row is one sample, so normalise '
     'over axis=1', 'wrong',
     'each column sums to # instead of each row; a row is one sample, so normalise over axis=1'),
    ('activations.py, line 40, in gradRelu\n    return [1][x.ndim]\nIndexError: list index out of range\nCalled: '
     'gradRelu(array (2, 3) float64)', 'error', 'gradRelu raised IndexError: list index out of range'),
])
def test_the_diagnosis_of_real_feedback(feedback, outcome, key):
    assert class_report.diagnosis(feedback, outcome) == key


def test_the_report_is_self_contained_and_escapes_what_submissions_wrote(graded):
    out, _ = graded
    page = (out / 'report.html').read_text()
    assert '<script' not in page, 'no script, and the hostile one is text'
    assert HOSTILE not in page and html_escaped(HOSTILE) in page
    assert MALLORY not in page and '&lt;i&gt;mallory' in page
    assert '<link' not in page and 'src="http' not in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)">\s*(<table>)?', page)
    assert len(images) == 2 and all(alt and table for _, alt, table in images), 'every figure: alt text, then a table'
    assert all(base64.b64decode(data)[:4] == b'\x89PNG' for data, _, _ in images)
    for heading in ('Scores by part', 'Pass rate of every test', 'Most frequent diagnoses',
                    'Submissions that could not be graded', 'Slowest submissions'):
        assert f'<h2>{heading}</h2>' in page


def test_the_tables_hold_the_numbers_of_the_results(graded):
    out, collected = graded
    page = (out / 'report.html').read_text()
    names = [part for part, _ in class_report.parts(collected)]
    assert names and all(f'<td>{html_escaped(name)}</td>' in page for name in names)
    shares = class_report.distribution(collected)
    total = shares[-1]
    assert total[0] == 'Total' and sum(total[1]) == 5, 'every submission with tests, the unreadable one too'
    top = [row['id'] for row in gradebook.rows(collected) if collected[row['id']].get('tests') and row['percent'] >= 90]
    assert 'ref' in top and total[1][-1] == len(top), 'the reference, 100 %, counts in the last tenth'
    summary = json.loads((out / 'summary.json').read_text())
    rates = {name: passed / graded for name, _, _, passed, graded in class_report.pass_rates(collected)}
    assert rates == pytest.approx(summary['pass_rate'], abs=1e-4)
    assert ['broken', 'crashed'] == [ident for ident, *_ in class_report.ungraded(summary)]
    assert 'The grader failed on this submission: boom' in page and 'not a readable zip archive' in page
