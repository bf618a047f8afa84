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
    key, functions, submissions, tests, example = rows[0]
    assert key == 'missing 1/N'
    assert functions == 'averageCE, gradCE' and submissions == 2 and tests >= 4
    assert example.startswith('A missing 1/N (N = ')
    raised = [row for row in rows if row[0] == 'relu raises ValueError']
    assert raised and raised[0][2] == 1 and 'alert' in raised[0][4]


def test_the_diagnoses_are_counted_from_the_results_data_not_from_the_feedback(graded):
    """A failed test's feedback may say anything; the report counts what its extra_data records."""
    _, collected = graded
    results = collected['no_mean']
    tests = [dict(test, output='Every entry is 4 times the expected one: a missing 1/N (N = 4).',
                  extra_data=dict(test['extra_data'], diagnoses=[]))
             for test in results['tests'] if test['status'] == 'failed']
    tests[0]['extra_data']['diagnoses'] = [{'function': 'gradCE', 'key': 'planted', 'text': 'A planted cause.'}]
    rows, (plain, submissions) = class_report.diagnoses({'no_mean': dict(results, tests=tests)})
    assert rows == [('planted', 'gradCE', 1, 1, 'A planted cause.')]
    assert (plain, submissions) == (len(tests) - 1, 1)


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
