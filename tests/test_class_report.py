"""The class report: a summary first, then one section per part, with links that lead
somewhere; diagnoses grouped across students and functions; a figure with alt text and a
table of the same numbers; a size that does not grow with the class; nothing loaded from
elsewhere and nothing from a submission ever read as HTML."""

import base64
import copy
import json
import re
from html import escape as html_escaped
from html.parser import HTMLParser
from urllib.parse import urlsplit

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


class Page(HTMLParser):
    """The report as a browser reads it: its elements in order (tag, attributes, text), and
    whether every element that was opened was closed."""

    VOID = {'img', 'meta', 'br', 'hr', 'link', 'input', 'source', 'wbr', 'col'}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements, self.open, self.stray = [], [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append([tag, dict(attrs), ''])
        if tag not in self.VOID:
            self.open.append(self.elements[-1])

    def handle_endtag(self, tag):
        if not self.open or self.open[-1][0] != tag:
            self.stray.append(tag)
            return
        self.open.pop()

    def handle_data(self, data):
        for element in self.open:
            element[2] += data

    def texts(self, tag):
        return [text for name, _, text in self.elements if name == tag]


@pytest.fixture(scope='module')
def page(graded):
    out, _ = graded
    return (out / 'report.html').read_text()


def test_one_mistake_in_two_functions_is_one_diagnosis(graded):
    _, collected = graded
    facts = gradebook.summary(collected)
    rows, _ = class_report.diagnoses(collected, {ident for ident, *_ in class_report.ungraded(facts)})
    key, functions, submissions, tests, example = rows[0]
    assert key == 'missing 1/N'
    assert functions == (('averageCE', 1), ('gradCE', 1)) and submissions == 2 and tests >= 4
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
    assert rows == [('planted', (('gradCE', 1),), 1, 1, 'A planted cause.')]
    assert (plain, submissions) == (len(tests) - 1, 1)


def test_the_summary_comes_first_then_the_parts_then_the_slowest_gradings(page, graded):
    _, collected = graded
    parsed = Page(page)
    assert not parsed.open and not parsed.stray, 'every element closed, in order'
    ids = [attrs['id'] for _, attrs, _ in parsed.elements if 'id' in attrs]
    parts = [f'part-{number}' for number in range(1, len(class_report.parts(collected)) + 1)]
    assert [i for i in ids if i != 'top'] == ['summary', 'scores', 'diagnoses', 'ungraded', *parts, 'slowest']
    assert len(ids) == len(set(ids))
    links = [attrs['href'] for tag, attrs, _ in parsed.elements if tag == 'a']
    assert links and all(link.startswith('#') and link[1:] in ids for link in links), 'every link leads to a section'
    assert {f'#{i}' for i in ids if i != 'top'} <= set(links), 'the contents lead to every section'
    headings = parsed.texts('h2')
    assert headings[0] == 'Summary' and headings[1:-1] == [part for part, _ in class_report.parts(collected)]


def test_the_headings_count_what_their_sections_hold(page, graded):
    _, collected = graded
    facts = gradebook.summary(collected)
    parsed = Page(page)
    headings = parsed.texts('h2') + parsed.texts('h3')
    slowest = class_report.slowest(collected)
    assert len(slowest) == 5, 'of 6 submissions, one never graded: 5, not "the 10 slowest"'
    assert 'The 5 slowest gradings' in headings
    assert f'Submissions that could not be graded ({len(class_report.ungraded(facts))})' in headings
    rows, _ = class_report.diagnoses(collected, {ident for ident, *_ in class_report.ungraded(facts)})
    assert f'The {len(rows)} most frequent diagnoses' in headings
    tables = page.split('<table')
    diagnoses = next(t for t in tables if 'Diagnoses, most submissions first' in t)
    assert diagnoses.count('<tr>') == len(rows) + 1


def test_the_report_is_self_contained_and_escapes_what_submissions_wrote(page):
    parsed = Page(page)
    assert not re.search(r'https?://', page), 'no URL at all: nothing to fetch, nothing to follow'
    assert not {tag for tag, _, _ in parsed.elements} & {'script', 'link', 'iframe', 'object', 'embed', 'base'}
    for tag, attrs, _ in parsed.elements:
        for name in ('src', 'href', 'srcset', 'action', 'poster', 'data'):
            if name in attrs:
                assert urlsplit(attrs[name]).scheme in ('', 'data'), (tag, name, attrs[name][:80])
    policy = [attrs['content'] for tag, attrs, _ in parsed.elements
              if tag == 'meta' and attrs.get('http-equiv') == 'Content-Security-Policy']
    assert policy and "default-src 'none'" in policy[0]
    assert '<script' not in page, 'no script, and the hostile one is text'
    assert HOSTILE not in page and html_escaped(HOSTILE) in page
    assert MALLORY not in page and '&lt;i&gt;mallory' in page


def test_the_figure_has_alt_text_then_a_table_of_the_same_numbers(page, graded):
    _, collected = graded
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" width="\d+" height="\d+" alt="([^"]+)">\s*'
                        r'(<table[^>]*>)?', page)
    assert len(images) == 1 and all(alt and table for _, alt, table in images), 'the figure: alt text, then a table'
    assert all(base64.b64decode(data)[:4] == b'\x89PNG' for data, _, _ in images)
    total = class_report.distribution(collected)[-1]
    assert all(f'{10 * k}-{10 * k + 10} %: {count}' in images[0][1] for k, count in enumerate(total[1]))


def test_the_tables_hold_the_numbers_of_the_results(page, graded):
    out, collected = graded
    names = [part for part, _ in class_report.parts(collected)]
    assert names and all(f'>{html_escaped(name)}</a></td>' in page for name in names)
    shares = class_report.distribution(collected)
    total = shares[-1]
    assert total[0] == 'Total' and sum(total[1]) == 5, 'every submission with tests, the unreadable one too'
    top = [row['id'] for row in gradebook.rows(collected) if collected[row['id']].get('tests') and row['percent'] >= 90]
    assert 'ref' in top and total[1][-1] == len(top), 'the reference, 100 %, counts in the last tenth'
    summary = json.loads((out / 'summary.json').read_text())
    rates = {name: passed / graded for name, _, _, passed, graded in class_report.pass_rates(collected)}
    assert rates == pytest.approx(summary['pass_rate'], abs=1e-4)
    titles = {test['name']: test['extra_data']['title'] for results in collected.values() for test in results['tests']}
    for name, _, _, passed, graded in class_report.pass_rates(collected):
        assert f'<td>{html_escaped(titles[name])}</td>' in page and f'{passed} of {graded}' in page
    assert ['broken', 'crashed'] == [ident for ident, *_ in class_report.ungraded(summary)]
    assert 'The grader failed on this submission: boom' in page and 'not a readable zip archive' in page


def test_the_page_does_not_grow_with_the_class_but_for_the_submissions_not_graded(graded):
    """60 and 300 copies of the six results: the same page but for the counts, once past the caps
    (the 10 slowest gradings), and the longer list of submissions not graded."""
    _, collected = graded
    small, large = ({f'{ident}-{number:03d}': copy.deepcopy(results)
                     for number in range(copies) for ident, results in collected.items()} for copies in (10, 50))
    lost = class_report.ungraded(gradebook.summary(large))
    small, large = (class_report.page(c, gradebook.summary(c)) for c in (small, large))
    assert len(lost) == 100 and all(html_escaped(ident) in large for ident, *_ in lost)

    def rest(page):
        """The page without its figure's data and its list of submissions not graded."""
        return re.sub(r'<h3 id="ungraded">.*?</table>', '', re.sub(r'base64,[^"]+', '', page), flags=re.S)
    assert len(rest(large)) < 1.05 * len(rest(small)), 'only counts grow, by a digit or two'
    assert Page(large).texts('h2')[-1].startswith('The 10 slowest gradings')


def test_the_counts_of_submissions_are_whole_numbers_on_the_axes():
    fig = class_report.distribution_figure([0, 1, 0, 0, 2, 0, 0, 1, 0, 1], 55.0, 60.0)
    ticks = fig.axes[0].get_yticks()
    assert len(ticks) >= 2 and all(tick == int(tick) for tick in ticks), ticks
