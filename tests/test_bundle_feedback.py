"""The student bundle grades on its own and names causes as the public suite in this
repository does: mistakes of every part, graded by the bundle's own grader in a fresh
process, get the cause the mutant tables give them."""

import json
import subprocess
import sys

import pytest

from grader.spec import SPEC
from tests import test_mutants as core, test_mutants_cnn as cnn, test_mutants_mlp as mlp
from tests.submissions import build
from tools import release

CORE = {name: (function, [(file, old, new)], None, diagnosis) for name, file, old, new, function, diagnosis in
        core.BUGS + [bug for group in core.CONVENTION_GROUPS.values() for bug in group]}
# (function, build(folder), words its public feedback holds), a few mistakes of every part.
MISTAKES = {
    **{name: (CORE[name][0], lambda folder, name=name: build(folder, replace=CORE[name][1]), CORE[name][3])
       for name in ('softmax without the max shift', 'cross-entropy summed, not averaged', 'gradCE without 1/N',
                    'dL_dW_o transposed', 'legacy np.random.seed and randn', 'velocity with the opposite sign',
                    'L2 penalty divided by 2N', 'deep L2 penalty divided by 2N', 'a new generator for every layer')},
    **{name: (cnn.BUGS[name][0], lambda folder, name=name: cnn.mutant(folder, [name]), cnn.BUGS[name][3])
       for name in ('flipped kernel', 'db of shape (1, F)', 'max-pool gradient to the last tied maximum',
                    'legacy generator', 'flattened channels last', 'batches not reshuffled')},
    **{name: (mlp.BUGS[name][0], lambda folder, name=name: build(
        folder, replace=mlp.BUGS[name][1][0], append={'mlp.py': mlp.BUGS[name][1][1]} if mlp.BUGS[name][1][1] else None),
        mlp.BUGS[name][2])
       for name in ('unbiased variance', 'batch-norm backward with constant statistics', 'dropout mask reversed',
                    'init_mlp keeps the hidden biases', 'running statistics never updated')},
}


@pytest.fixture(scope='module')
def bundle(tmp_path_factory):
    return release.build(tmp_path_factory.mktemp('dist') / 'dist') / 'student'


def bundle_grade(bundle, submission, part, out):
    """The results of the bundle's own `python -m grader grade`, run from the bundle's folder."""
    subprocess.run([sys.executable, '-m', 'grader', 'grade', str(submission), '--parts', str(part),
                    '--out', str(out)], cwd=bundle, capture_output=True, check=False, timeout=600)
    return json.loads(out.read_text())


@pytest.mark.parametrize('name', MISTAKES)
def test_the_bundle_names_the_cause_of_a_mistake(bundle, tmp_path, name):
    function, make, diagnosis = MISTAKES[name]
    part = SPEC.part_of(function).number
    results = bundle_grade(bundle, make(tmp_path / 'sub'), part, tmp_path / 'results.json')
    lost = [test for test in results['tests'] if test['status'] != 'passed' and function in test['tags']]
    assert lost, f'no failed test is tagged {function}'
    words = (diagnosis,) if isinstance(diagnosis, str) else diagnosis
    assert any(all(word.lower() in test['output'].lower() for word in words) for test in lost), \
        '\n---\n'.join(test['output'] for test in lost)
