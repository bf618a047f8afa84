"""A bug in a function that others are built on costs points only in tests that name it: the
tests of the functions built on it find that their results follow from it, say so, and keep
their points; a failed test that relies on it names it."""

import re

import pytest

from grader.engine.checks import Cases, Consequence, Mismatch
from grader.engine.output import gradescope
from grader.spec import MODELS, SPEC
from tests.submissions import build, grade
from tests.test_mutants import BUGS
from tests.test_mutants_cnn import FORWARD
from tests.test_mutants_mlp import DX

# A fit relies on every function of its network: a fit that fails with one of them may lose
# points, and its feedback names the function it relies on.
FITS = {model.fit for model in MODELS.values()}
DENSE = {bug[0]: (bug[4], [bug[1:4]]) for bug in BUGS}

# (broken function, edits): a realistic bug in each function that others are built on,
# left where the reference's networks call it.
CASES = {name: DENSE[name] for name in (
    'softmax normalised down the columns', 'cross-entropy summed, not averaged', 'gradCE without 1/N',
    'relu used as its own derivative', 'compute forgets the bias', "tanh' written with z instead of tanh(z)",
    'momentum step climbs the gradient')}
CASES['conv_forward without its bias'] = ('conv_forward', [('cnn.py', FORWARD, 'out = cols @ W.reshape(F, -1).T ')])
CASES['batch-norm backward with constant statistics'] = ('batchnorm_backward',
                                                       [('mlp.py', DX, '    dx = dx_hat * inv_std\n')])


def offering_from(function):
    """The parts from the broken function's on, where its consequences show (Part 8 trains with
    the reference)."""
    first = SPEC.part_of(function).number
    return SPEC.offering([part.number for part in SPEC.parts if first <= part.number <= 7])


def names(test, function):
    return function in test['tags'] or re.search(rf'\b{function}\b', test['output']) is not None


@pytest.mark.parametrize('name', CASES)
def test_a_bug_costs_points_only_in_tests_that_name_its_function(tmp_path, name):
    function, edits = CASES[name]
    results = grade(build(tmp_path / 'sub', replace=edits), 'all', offering_from(function))
    lost = [test for test in results['tests'] if test['score'] < test['max_score']]
    assert any(test['tags'][0] == function for test in lost), 'the bug costs points in its own tests'
    assert not [test['name'] for test in lost if not names(test, function)]
    public = [test['name'] for test in lost if test['visibility'] == 'visible' and test['tags'][0] != function
              and test['tags'][0] not in FITS]
    assert not public, 'the public tests of the functions built on it keep their points'


def test_the_gradients_built_on_a_wrong_gradCE_keep_their_points_and_say_why(tmp_path):
    results = grade(build(tmp_path / 'sub', replace=CASES['gradCE without 1/N'][1]), 'all', offering_from('gradCE'))
    gradients = [test for test in results['tests'] if test['tags'][0].startswith('dL_d')
                 and test['extra_data']['outcome'] != 'passed']    # for one sample, N = 1 hides the bug
    assert len(gradients) == 8, 'four public and four hidden tests'
    for test in gradients:
        assert test['status'] == 'passed' and test['score'] == test['max_score']
        assert test['extra_data']['outcome'] == 'consequence' and test['extra_data']['faults'] == ['gradCE']
        assert 'is wrong only because your gradCE is wrong' in test['output']
        assert 'The tests that grade gradCE: 2. Softmax and cross-entropy: gradCE' in test['output']
    assert sum(test['score'] < test['max_score'] for test in results['tests'] if test['tags'][0] == 'gradCE') >= 3


def test_a_composite_wrong_in_its_own_right_as_well_loses_its_points(tmp_path):
    transposed = [bug[1:4] for bug in BUGS if bug[0] == 'dL_dW_o transposed']
    results = grade(build(tmp_path / 'sub', replace=CASES['gradCE without 1/N'][1] + transposed), 'all',
                    offering_from('gradCE'))
    status = {test['name']: (test['tags'][0], test['status']) for test in results['tests']}
    assert {state for tag, state in status.values() if tag == 'dL_dW_o'} == {'failed'}
    assert {state for tag, state in status.values() if tag == 'dL_db_o'} == {'passed'}


def _test(name, function, outcome, faults=()):
    return {'name': name, 'tags': [function], 'score': 0, 'max_score': 1, 'output': 'feedback',
            'status': 'passed' if outcome == 'passed' else 'failed',
            'extra_data': {'outcome': outcome, 'faults': list(faults)}}


def test_a_consequence_of_a_function_whose_own_tests_pass_takes_its_points():
    """The function at fault is wrong on the consequence's inputs, but nothing else in this run
    showed it: the mistake is counted here, in a test that names it."""
    tests = gradescope.settled([_test('g', 'g', 'consequence', ['f']), _test('f', 'f', 'passed')], {'g': ('f',)})
    assert tests[0]['status'] == 'failed' and tests[0]['score'] == 0 and tests[0]['extra_data']['outcome'] == 'wrong'
    assert 'No test of f failed in this run' in tests[0]['output']


def test_a_chain_of_consequences_keeps_its_points_when_it_goes_back_to_a_failing_function():
    """h is what it should be given g, g given f, and f fails a test of its own."""
    tests = gradescope.settled([_test('h', 'h', 'consequence', ['g']), _test('g', 'g', 'consequence', ['f']),
                                _test('f', 'f', 'wrong')], {'h': ('g',), 'g': ('f',)})
    assert [(test['status'], test['score']) for test in tests] == [('passed', 1), ('passed', 1), ('failed', 0)]
    assert tests[0]['output'].endswith('The tests that grade f: f')


def test_a_failed_test_names_what_it_relies_on_that_fails_its_own_tests():
    tests = gradescope.settled([_test('fit', 'fit', 'wrong'), _test('step', 'step', 'wrong'),
                                _test('loss', 'loss', 'passed')], {'fit': ('loss', 'grads'), 'grads': ('step',)})
    assert tests[0]['output'].endswith('This test relies on your step, which fails its own tests: fix it first.')
    assert 'relies on' not in tests[1]['output']


def test_a_case_excused_by_another_function_never_hides_a_case_wrong_on_its_own():
    cases = Cases()
    with cases:
        raise Consequence('follows from f', ['f'])
    with cases:
        raise Mismatch('second case, wrong on its own')
    with pytest.raises(Mismatch) as raised:
        cases.expect()
    assert not isinstance(raised.value, Consequence) and str(raised.value) == 'second case, wrong on its own'


def test_cases_that_all_follow_from_other_functions_are_one_consequence():
    cases = Cases()
    for fault in ('f', 'g', 'f'):
        with cases:
            raise Consequence(f'follows from {fault}', [fault])
    with pytest.raises(Consequence) as raised:
        cases.expect()
    assert raised.value.faults == ('f', 'g')


ZEROS = '''
def gradCE(target, prediction):
    return np.zeros_like(prediction)
'''


def test_a_dependency_that_answers_zeros_excuses_nothing(tmp_path):
    """Zeros from gradCE make every gradient built on it zero: a dL_dW_o of zeros follows from it
    without any derivation, so it is not excused."""
    edits = [('two_layer.py', 'return h.T @ gradCE(target, prediction)',
              'return np.zeros((h.shape[1], prediction.shape[1]))')]
    results = grade(build(tmp_path / 'sub', replace=edits, append={'losses.py': ZEROS}),
                    'all', offering_from('gradCE'))
    tests = [test for test in results['tests'] if test['tags'] == ['dL_dW_o']]
    assert tests and all(test['score'] == 0 for test in tests)
    assert all(test['extra_data']['outcome'] != 'consequence' for test in tests)


def test_without_the_reference_a_public_test_built_on_a_broken_function_names_it(tmp_path, monkeypatch):
    """In the copy students receive there is no reference to combine their results with: a
    public test whose result follows from a broken softmax fails, and names softmax."""
    monkeypatch.setattr('grader.suites.public.relative.HIDDEN', 'grader.suites.absent')
    results = grade(build(tmp_path / 'sub', replace=CASES['softmax normalised down the columns'][1]), 'public',
                    offering_from('softmax'))
    on_fixed_params = [test for test in results['tests'] if test['name'].startswith(
        '4. Training a two-layer classifier: feedforward on fixed params')]
    assert len(on_fixed_params) == 3 and all(test['score'] == 0 for test in on_fixed_params)
    assert all('relies on your softmax, which fails its own tests' in test['output'] for test in on_fixed_params)


def test_fits_that_follow_a_wrong_momentum_step_keep_their_points(tmp_path):
    """Every fit is replayed with the submission's own momentum_step too: a fit that is right
    given a momentum_step that climbs the gradient keeps its points and names momentum_step;
    a fit test that still loses points (an accuracy that cannot be reached) names it too."""
    results = grade(build(tmp_path / 'sub', replace=CASES['momentum step climbs the gradient'][1]), 'all',
                    offering_from('momentum_step'))
    excused = [test for test in results['tests'] if test['extra_data']['outcome'] == 'consequence']
    assert {test['tags'][0] for test in excused} == FITS
    assert all(test['score'] == test['max_score'] and test['extra_data']['faults'] == ['momentum_step']
               for test in excused)
    lost = [test for test in results['tests'] if test['score'] < test['max_score'] and test['tags'][0] in FITS]
    assert all('momentum_step' in test['output'] for test in lost)


REMEMBERED_FEEDFORWARD = '''

import os
import tempfile

_answered = []


def _remember(probs):
    _answered.append(probs)
    np.save(os.path.join(tempfile.gettempdir(), 'answered.npy'), probs)


def feedforward(X, params, actFun_type='tanh'):
    probs = np.full((len(X), params['W2'].shape[1]), 0.1 / (params['W2'].shape[1] - 1))
    probs[:, 0] = 0.9
    _remember(probs)
    return probs
'''
# Where softmax finds what feedforward returned last: in its module, or in a file it wrote.
MEMORIES = {
    'module': "two_layer._answered[-1] if two_layer._answered else None",
    'file': "np.load(saved) if os.path.exists(saved := os.path.join(tempfile.gettempdir(), 'answered.npy')) else None",
}
SOFTMAX_FROM_MEMORY = '''

import os
import tempfile


def softmax(x):
    from . import two_layer
    remembered = {memory}
    if remembered is not None and remembered.shape == np.shape(x):
        return remembered
    e = np.exp(x)            # no shift by the maximum: it fails a test of its own, which a consequence needs
    return e / e.sum(axis=1, keepdims=True)
'''


@pytest.mark.parametrize('memory', MEMORIES)
@pytest.mark.parametrize('sandbox', ['bwrap', 'none'])
def test_a_dependency_that_answers_from_memory_excuses_nothing(tmp_path, memory, sandbox):
    """A softmax that answers the grader with what feedforward returned last, kept in its module
    or in a file, would make a feedforward that computes nothing look like a consequence of
    softmax: every wrong answer a dependency gave is asked again in a fresh worker with an
    empty tmp/, and an answer that changes excuses nothing, under bubblewrap and without it."""
    results = grade(build(tmp_path / 'sub', append={'two_layer.py': REMEMBERED_FEEDFORWARD,
                                                     'losses.py': SOFTMAX_FROM_MEMORY.format(memory=MEMORIES[memory])}),
                    'all', SPEC.offering([2, 3, 4]), sandbox=sandbox)
    tests = [test for test in results['tests'] if test['tags'] == ['feedforward'] and 'fixed' in test['name']]
    assert tests and all(test['score'] == 0 and test['extra_data']['outcome'] != 'consequence' for test in tests)
