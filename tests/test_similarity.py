"""The similarity report: a copied pair stands out in a class of independent work, the
skeleton counts for no one, nothing of a submission runs, hostile ids and file names stay
text, and the page loads nothing, names the submissions on its matrix and shows shared
code without script."""

import csv
import importlib
import math
import random
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import numpy as np
import pytest

from grader.engine import similarity, similarity_report
from grader.spec import SPEC
from solution import activations, losses, two_layer
from tests.classmates import VARIANTS, write_class, write_student
from tests.submissions import ROOT, build

CLASS_SIZE = 30
HOSTILE = '<img src=x onerror=alert(1)>'


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    """30 independent students, a copy of student000 as a notebook, the bare skeleton, a student
    with a hostile id, a submission that would write a file if it ever ran, and a broken zip."""
    root = tmp_path_factory.mktemp('class')
    write_class(root, CLASS_SIZE)
    build(root / 'skeleton', base='assignment')
    write_student(root / HOSTILE, random.Random('hostile'))
    marker = tmp_path_factory.mktemp('marker') / 'ran'
    write_student(root / 'runner', random.Random('runner'))
    with open(root / 'runner' / 'losses.py', 'a') as f:
        f.write(f'\nopen({str(marker)!r}, "w").write("it ran")\n')
    (root / 'broken.zip').write_bytes(b'PK\x03\x04 not a zip')
    return root, marker


@pytest.fixture(scope='module')
def compared(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp('similarity')
    found, skipped = similarity.run(SPEC, folder[0], out)
    return out, found, skipped


def test_the_copied_pair_ranks_first_and_stands_out(compared):
    _, found, _ = compared
    first, second = found[0], found[1]
    assert (first.id_a, first.id_b) == ('copier', 'student000')
    assert first.similarity > 0.75 and first.zscore > 3.5
    assert first.similarity - second.similarity > 0.1, found[:3]


def test_the_skeleton_counts_for_no_one(folder, compared, tmp_path):
    _, found, _ = compared
    with_skeleton = [p for p in found if 'skeleton' in (p.id_a, p.id_b)]
    assert max(p.similarity for p in with_skeleton) < 0.02
    assert all(p.lines == 0 for p in with_skeleton)
    # Without the skeleton as boilerplate, its docstrings and hints make every pair look alike.
    students = tmp_path / 'students'
    shutil.copytree(folder[0], students, ignore=lambda _, names: [n for n in names if not n.startswith('student00')])
    alike = similarity.run(SPEC, students, tmp_path / 'out', boilerplate=())[0]
    apart = similarity.run(SPEC, students, tmp_path / 'out2')[0]
    assert statistics.median(p.similarity for p in alike) > statistics.median(p.similarity for p in apart) + 0.15


def test_pairs_csv_has_every_pair_most_similar_first(compared):
    out, found, _ = compared
    with open(out / 'pairs.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ['id_a', 'id_b', 'similarity', 'zscore', 'lines']
    count = CLASS_SIZE + 4        # the copier, the skeleton, the hostile id and the runner
    assert len(rows) == count * (count - 1) // 2 == len(found)
    values = [float(row['similarity']) for row in rows]
    assert values == sorted(values, reverse=True) and all(0 <= v <= 1 for v in values)
    scores = np.array(values)
    np.testing.assert_allclose([float(row['zscore']) for row in rows],
                               (scores - scores.mean()) / scores.std(), atol=0.02)


def test_unreadable_submissions_are_listed_not_dropped(compared):
    out, _, skipped = compared
    assert list(skipped) == ['broken']
    assert 'broken' in (out / 'report.html').read_text()


def test_the_report_warns_and_keeps_hostile_ids_as_text(compared):
    out, _, _ = compared
    page = (out / 'report.html').read_text()
    assert 'not proof' in page and 'pairs.csv' in page
    assert HOSTILE not in page and '&lt;img src=x onerror=alert(1)&gt;' in page
    assert 'grader-similarity-' not in page, 'the private copies are named by the submissions alone'


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict
    ancestors: tuple
    texts: list = field(default_factory=list)

    @property
    def text(self):
        return ''.join(self.texts)


class Page(HTMLParser):
    """A page parsed as the browser reads it: every element with its ancestors and its text."""

    VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements, self.open = [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append(Element(tag, dict(attrs), tuple(self.open)))
        if tag not in self.VOID:
            self.open.append(self.elements[-1])

    def handle_endtag(self, tag):
        while self.open and self.open.pop().tag != tag:
            pass

    def handle_data(self, data):
        for element in self.open:
            element.texts.append(data)

    def find(self, tag, inside=None, **attrs):
        """The elements of a tag inside an element, whose attributes have the given values."""
        return [e for e in self.elements if e.tag == tag and (inside is None or inside in e.ancestors)
                and all(e.attrs.get(name.rstrip('_').replace('_', '-')) == value for name, value in attrs.items())]


@pytest.fixture(scope='module')
def page(compared):
    return Page((compared[0] / 'report.html').read_text())


def test_the_report_loads_nothing(page):
    """No script, no stylesheet or frame, no URL that leaves the page: it looks the same offline, and
    opening it contacts no server."""
    assert not {e.tag for e in page.elements} & {'script', 'link', 'iframe', 'frame', 'object', 'embed', 'base'}
    for element in page.elements:
        for name in ('src', 'href', 'srcset', 'action', 'formaction', 'poster', 'data', 'xlink:href', 'background'):
            if name in element.attrs:
                url = urlsplit(element.attrs[name])
                assert url.scheme in ('', 'data') and not url.netloc, (element.tag, name, element.attrs[name])
    styles = [e.text for e in page.find('style')] + [e.attrs['style'] for e in page.elements if 'style' in e.attrs]
    for css in styles:
        assert '@import' not in css and not re.search(r'url\(\s*[\'"]?\s*(https?:)?//', css, re.I), css
        assert not re.search(r'https?:', css), css
    policy = page.find('meta', http_equiv='Content-Security-Policy')
    assert "default-src 'none'" in policy[0].attrs['content']


def test_the_names_stand_on_the_matrix_axes(page, compared):
    _, found, _ = compared
    table = page.find('table', class_='matrix')[0]
    columns = [e.text for e in page.find('th', table, scope='col')]
    rows = [e.text for e in page.find('th', table, scope='row')]
    everyone = {ident for pair in found for ident in (pair.id_a, pair.id_b)}
    assert columns == rows and set(columns) == everyone, 'a class this small stands whole on the axes'
    assert columns[:2] == ['copier', 'student000'] and HOSTILE in columns
    # The cell of row copier, column student000 holds their similarity and opens their code.
    first = page.find('td', page.find('tr', table)[1])
    assert first[0].attrs['class'] == 'self' and first[1].text == f'{round(100 * found[0].similarity)}'
    assert page.find('a', first[1])[0].attrs['href'] == '#pair-1'


def test_a_large_class_shows_the_submissions_of_its_most_similar_pairs():
    ids = [f's{number:03d}' for number in range(80)]
    rng = random.Random(0)
    found = sorted((similarity.Pair(a, b, rng.random(), 0.0, 0) for a, b in zip(ids, ids[1:] + ids[:1])),
                   key=lambda pair: -pair.similarity)
    shown = Page(similarity_report.matrix(found, found[:3]))
    names = [e.text for e in shown.find('th', scope='col')]
    expected = list(dict.fromkeys(ident for pair in found for ident in (pair.id_a, pair.id_b)))
    assert names == expected[:similarity_report.MATRIX]
    assert f'of {len(ids)} (pairs.csv has every pair)' in shown.find('caption')[0].text
    # Each of the pairs shown below stands twice in the symmetric matrix, and links there both times.
    assert sorted(e.attrs['href'] for e in shown.find('a')) == ['#pair-1', '#pair-1', '#pair-2', '#pair-2',
                                                                '#pair-3', '#pair-3']


def test_the_shared_code_opens_without_script(page, compared):
    _, found, _ = compared
    details = page.find('details')
    assert len(details) == min(similarity.SHOWN, len(found))
    assert [e.attrs['id'] for e in details[:2]] == ['pair-1', 'pair-2']
    assert 'copier and student000' in page.find('summary', details[0])[0].text
    sides = page.find('pre', details[0])
    assert len(sides) == 2 and all(page.find('mark', side) for side in sides)
    assert '# file: activations.py' in [e.text for e in page.find('span', sides[1], class_='file')]


def test_file_names_and_code_of_submissions_stay_text(tmp_path):
    name = '<script>alert(1)<\\script>.py'
    code = ('def mean_of_squares(values):\n    total = 0.0\n    for value in values:\n'
            '        total = total + value * value\n    label = "</pre><script>alert(2)</script>"\n'
            '    return total / len(values), label\n')
    write_student(tmp_path / 'class' / 'first', random.Random('first'))
    (tmp_path / 'class' / 'first' / name).write_text(code)
    shutil.copytree(tmp_path / 'class' / 'first', tmp_path / 'class' / 'second')
    similarity.run(SPEC, tmp_path / 'class', tmp_path / 'out')
    text = (tmp_path / 'out' / 'report.html').read_text()
    assert '<script' not in text and '&lt;script&gt;alert(1)&lt;\\script&gt;.py' in text
    shown = Page(text)
    assert not shown.find('script')
    assert f'# file: {name}' in [e.text for e in shown.find('span', class_='file')]
    assert any('alert(2)' in e.text for e in shown.find('mark')), 'the code is shown, as text'


def test_the_code_view_keeps_a_few_lines_around_each_passage():
    separator = similarity.BARRIER
    text = '\n'.join([f'{separator}  # file: m.py', *(f'x{n} = {n}' for n in range(30)), separator, ''])
    start, end = text.index('x15'), text.index('x16 = 16') + len('x16 = 16')
    lines = similarity_report.highlighted(text, np.array([[start], [end]]), separator, context=2).split('\n')
    gap = '<span class="gap">⋮</span>'
    assert lines == ['<span class="file"># file: m.py</span>', gap, 'x13 = 13', 'x14 = 14', '<mark>x15 = 15</mark>',
                     '<mark>x16 = 16</mark>', 'x17 = 17', 'x18 = 18', gap]


def test_no_submission_code_runs(folder, compared):
    assert not folder[1].exists()


def test_the_command_line(folder, tmp_path):
    students = tmp_path / 'students'
    shutil.copytree(folder[0], students, ignore=lambda _, names: [n for n in names if n.startswith('student02')])
    done = subprocess.run([sys.executable, '-m', 'grader', 'similarity', str(students), '--out', str(tmp_path / 'o'),
                           '--show', '5'], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'most similar: copier and student000' in done.stdout and 'not proof' in done.stdout
    assert (tmp_path / 'o' / 'report.html').exists() and (tmp_path / 'o' / 'pairs.csv').exists()


@pytest.mark.parametrize('variant', range(max(len(v) for module in VARIANTS.values() for v in module.values())))
def test_the_generated_students_write_correct_code(tmp_path, monkeypatch, variant):
    """Every way the generator writes a function computes what the reference does."""
    choices = {f: variant % len(bodies) for module in VARIANTS.values() for f, bodies in module.items()}
    write_student(tmp_path / f'student{variant}', random.Random(variant), choices)
    (tmp_path / f'student{variant}' / '__init__.py').write_text('')
    monkeypatch.syspath_prepend(str(tmp_path))
    mine = {name: importlib.import_module(f'student{variant}.{name.removesuffix(".py")}') for name in VARIANTS}
    rng = np.random.default_rng(variant)
    x, target = rng.normal(size=(6, 4)) * 3, np.eye(4)[rng.integers(0, 4, 6)]
    for name in ('relu', 'gradRelu', 'sigmoid', 'tanh'):
        np.testing.assert_allclose(getattr(mine['activations.py'], name)(x), getattr(activations, name)(x), atol=1e-12)
    for kind in ('tanh', 'sigmoid', 'relu'):
        for name in ('actFun', 'diff_actFun'):
            np.testing.assert_allclose(getattr(mine['activations.py'], name)(x, kind),
                                       getattr(activations, name)(x, kind), atol=1e-12)
    probs = losses.softmax(x)
    np.testing.assert_allclose(mine['losses.py'].softmax(x), probs, atol=1e-12)
    assert math.isclose(mine['losses.py'].averageCE(target, probs), losses.averageCE(target, probs), rel_tol=1e-12)
    np.testing.assert_allclose(mine['losses.py'].gradCE(target, probs), losses.gradCE(target, probs), atol=1e-12)
    _check_two_layer(mine['two_layer.py'], rng)


def _check_two_layer(mine, rng):
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    params = two_layer.init_params(3, 5, 2, seed=4)
    for key, value in mine.init_params(3, 5, 2, seed=4).items():
        np.testing.assert_allclose(value, params[key], atol=1e-12)
    target, probs = np.eye(2)[y], two_layer.feedforward(x, params, 'relu')
    hidden = (params['W1'], params['b1'])
    np.testing.assert_allclose(mine.compute(x, *hidden), two_layer.compute(x, *hidden), atol=1e-12)
    calls = [('dL_dW_o', (target, probs, x @ params['W1'])), ('dL_db_o', (target, probs)),
             ('dL_dW_h', (target, probs, params['W2'], x, *hidden)),
             ('dL_db_h', (target, probs, params['W2'], x, *hidden)),
             ('feedforward', (x, params, 'sigmoid')), ('calculate_loss', (x, y, params, 'tanh', 0.1)),
             ('predict', (x, params, 'relu'))]
    for name, args in calls:
        np.testing.assert_allclose(getattr(mine, name)(*args), getattr(two_layer, name)(*args), atol=1e-12,
                                   err_msg=name)
    velocity = {key: np.ones_like(value) for key, value in params.items()}
    for got, expected in zip(mine.momentum_step(params, params, velocity, 0.1, 0.9),
                             two_layer.momentum_step(params, params, velocity, 0.1, 0.9)):
        assert got.keys() == expected.keys()
        for key in got:
            np.testing.assert_allclose(got[key], expected[key], atol=1e-12)
