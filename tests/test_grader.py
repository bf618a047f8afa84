"""The grader on the reference and the skeleton: scores, results format, rubric, CLI."""

import dataclasses
import json
import subprocess
import sys
import zipfile
from collections import Counter

import pytest

from grader.engine import grading
from grader.spec import SPEC
from tests.submissions import PARTS_1_AND_2, ROOT, build, failed, grade

FUNCTIONS = {function for part in SPEC.parts for function in part.functions}

GRADESCOPE_TEST_KEYS = {'name', 'score', 'max_score', 'status', 'output', 'tags', 'visibility', 'extra_data'}


@pytest.fixture(scope='module')
def reference_all():
    return grade(ROOT / 'solution', 'all')


@pytest.fixture(scope='module')
def skeleton_all():
    return grade(ROOT / 'assignment', 'all')


def test_reference_scores_100_on_the_all_suite(reference_all):
    assert reference_all['score'] == 100
    assert not failed(reference_all), [t['output'] for t in failed(reference_all)]


def test_reference_passes_every_public_test():
    results = grade(ROOT / 'solution', 'public')
    assert results['score'] == results['extra_data']['max_score'] > 0
    assert {t['visibility'] for t in results['tests']} == {'visible'}


def test_skeleton_scores_0_and_every_test_says_not_implemented(skeleton_all):
    assert skeleton_all['score'] == 0
    outcomes = Counter(t['extra_data']['outcome'] for t in skeleton_all['tests'])
    assert outcomes == {'not_implemented': len(skeleton_all['tests'])}
    assert all('not implemented yet' in t['output'] for t in skeleton_all['tests'])


def test_results_follow_the_gradescope_format(reference_all):
    r = reference_all
    assert {'score', 'execution_time', 'output', 'tests'} <= r.keys()
    assert r['score'] == pytest.approx(sum(t['score'] for t in r['tests']))
    assert r['extra_data']['max_score'] == 100
    for test in r['tests']:
        assert test.keys() == GRADESCOPE_TEST_KEYS
        assert test['status'] in ('passed', 'failed')
        assert test['tags'] and set(test['tags']) <= FUNCTIONS
        assert test['visibility'] in ('visible', 'after_published')
    json.dumps(r)


def test_points_per_part_match_the_spec_and_the_handout(reference_all):
    per_part = Counter()
    for test in reference_all['tests']:
        per_part[test['extra_data']['part']] += test['max_score']
    assert dict(per_part) == pytest.approx({part.name: part.points for part in SPEC.parts})
    handout = (ROOT / 'assignment' / 'README.md').read_text()
    for part in SPEC.parts:
        assert f'| {part.name} |' in handout and f'## Part {part.number} — {part.title} ({part.points:g} points)' in handout


def test_public_suite_is_a_subset_of_the_all_suite(reference_all):
    public = grade(ROOT / 'solution', 'public')
    all_ids = {t['extra_data']['nodeid'] for t in reference_all['tests']}
    assert {t['extra_data']['nodeid'] for t in public['tests']} < all_ids


def test_every_contract_function_is_tested(reference_all):
    tagged = {tag for test in reference_all['tests'] for tag in test['tags']}
    assert tagged == FUNCTIONS


def test_hidden_tests_get_the_chosen_visibility():
    results = grade(ROOT / 'solution', 'all', PARTS_1_AND_2, hidden_visibility='hidden')
    for test in results['tests']:
        hidden = test['extra_data']['nodeid'].startswith('hidden/')
        assert test['visibility'] == ('hidden' if hidden else 'visible'), test['name']


def test_a_regrade_draws_the_same_inputs_and_another_seed_other_ones(reference_all):
    again = grade(ROOT / 'solution', 'all', PARTS_1_AND_2)
    assert again['extra_data']['seed'] == reference_all['extra_data']['seed']
    assert again['extra_data']['sha256'] == reference_all['extra_data']['sha256']
    assert grade(ROOT / 'solution', 'all', PARTS_1_AND_2, seed=12345)['extra_data']['seed'] == 12345


def test_public_expectations_are_up_to_date():
    from tools import expected
    assert expected.main(['--check']) == 0


def test_a_zip_with_the_modules_deep_inside_grades_like_the_folder(tmp_path, reference_all):
    archive = tmp_path / 'work.zip'
    with zipfile.ZipFile(archive, 'w') as zf:
        for path in (ROOT / 'solution').glob('*.py'):
            zf.write(path, f'hw/src/nn/{path.name}')
        zf.writestr('__MACOSX/hw/src/nn/._losses.py', b'\x00\x05junk')
        zf.writestr('hw/.DS_Store', b'junk')
    results = grade(archive, 'all', PARTS_1_AND_2)
    assert results['score'] == PARTS_1_AND_2.points
    assert results['extra_data']['sha256'] == reference_all['extra_data']['sha256']


def test_a_broken_zip_gets_a_clear_zero(tmp_path):
    archive = tmp_path / 'broken.zip'
    archive.write_bytes(b'PK\x03\x04 this is not really a zip')
    results = grade(archive, 'public')
    assert results['score'] == 0
    assert all('not a readable zip archive' in t['output'] for t in results['tests'])


def test_a_missing_module_costs_only_its_own_tests(tmp_path):
    folder = build(tmp_path / 'sub')
    (folder / 'cnn.py').unlink()
    results = grade(folder, 'all')
    cnn = SPEC.part_of('cnn_fit')
    assert {t['extra_data']['part'] for t in failed(results)} == {cnn.name}, 'no other module imports cnn.py'
    assert results['score'] == SPEC.points - cnn.points
    assert 'cnn.py is missing' in results['output']


def suites_of(tmp_path, public, hidden=''):
    """The spec of this homework with suites made of the given test sources (in files named
    after the test, since pytest keeps the modules it imported by name)."""
    for name, source in (('public', public), ('hidden', hidden)):
        (tmp_path / 'suites' / name).mkdir(parents=True)
        (tmp_path / 'suites' / name / f'test_{tmp_path.name}.py').write_text('import pytest\n\n' + source)
    (tmp_path / 'suites' / 'pytest.ini').write_text((SPEC.suites / 'pytest.ini').read_text())
    return dataclasses.replace(SPEC, folder=tmp_path)


def test_a_test_without_points_stops_collection(tmp_path):
    spec = suites_of(tmp_path, 'def test_unscored(student):\n    pass\n')
    with pytest.raises(grading.HarnessError, match='no @pytest.mark.points'):
        grading.grade(ROOT / 'solution', spec, 'public')


def test_parts_whose_tests_do_not_add_up_to_the_spec_stop_a_full_grading(tmp_path):
    spec = suites_of(tmp_path, "@pytest.mark.points(1, 'relu')\ndef test_relu(student):\n    pass\n")
    assert grading.grade(ROOT / 'solution', spec, 'public')['score'] == 1
    with pytest.raises(grading.HarnessError, match='1. Activations: its tests are worth 1 points, the spec gives it'):
        grading.grade(ROOT / 'solution', spec, 'all')


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, '-m', 'grader', *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_cli_exit_codes_and_output(tmp_path):
    out = tmp_path / 'r.json'
    done = run_cli('grade', ROOT / 'assignment', '--out', out)
    assert done.returncode == 0, done.stderr
    assert 'not attempted yet' in done.stdout and 'Total' in done.stdout
    assert json.loads(out.read_text())['score'] == 0
    assert run_cli('grade', tmp_path / 'nowhere').returncode == 2
    assert run_cli('grade', ROOT / 'solution', '--suite', 'secret').returncode == 2
