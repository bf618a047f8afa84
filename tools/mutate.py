"""Mutation testing of the grader: small AST mutations of the reference, graded.

A mutant is killed when it scores below full marks with the all-suite, graded on the parts
its module can reach (its own and those of the modules that import it). A surviving
mutant is either listed in EQUIVALENT, with the reason it cannot change any result or the
contract allows the result it gives, or is a hole in the tests.

Usage: python -m tools.mutate [--jobs 2] [--only MODULE]
"""

import argparse
import ast
import copy
import functools
import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.engine import spec as specs
from grader.spec import SPEC

GRADED_MODULES = SPEC.module_files
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180

SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
         ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq,
         ast.NotEq: ast.Eq}

# Why the mutants below change no result.
HELPER_STRIDE = 'the stride default of a helper outside the contract whose every caller passes stride'
RESHAPE = "numpy's reshape infers a size given as any negative number, -2 as -1"
BIGGER_PAD = ('a padded array larger than needed at the bottom or the right: no window reaches the extra zeros, '
              'and col2im crops them away')
MLP_HELPER = 'a default of mlp_forward_backward, a helper outside the contract whose every caller passes it'
NO_MASK = 'keep_prob >= 1 draws no mask: a default of 2.0 keeps every unit as 1.0 does'
ALL_KEPT = 'with keep_prob 1 a mask drawn by the generator keeps every unit'
NEVER_EQUAL = 'a uniform draw in [0, 1) equals keep_prob with probability 0'
KEEPDIMS = 'a (D,) statistic broadcasts over the rows of (N, D) as a (1, D) one does'
STEP_SEEDS = ('the contract lets the dropout masks be drawn in any way that leaves the batch generator alone and '
              'repeats for the same arguments: per-step seeds [seed, step + 1] or [seed, 2 * step] are such ways')
TUNED = ("the reference's own answer to Part 8's open question: the test holds a student's choice to the "
         'threshold, and this one passes it too')

# Mutants that no input can tell apart from the reference, or whose results the contract allows
# as well, and why; keyed by module, function
# and change (with its rank when a function holds the same change more than once).
EQUIVALENT = {
    'activations.py:sigmoid: GtE -> Gt': "np.where(x >= 0, ...): at x = 0 both branches give 1 / (1 + 1)",
    'two_layer.py:loss_and_grads: 0.0 -> 1.0': 'the reg_lambda default of a helper outside the contract '
                                               'whose every caller passes reg_lambda',
    'deep.py:deep_loss_and_grads: 0.0 -> 1.0': 'the reg_lambda default of a helper outside the contract '
                                               'whose every caller passes reg_lambda',
    'cnn.py:output_size: 1 -> 2': HELPER_STRIDE,
    'cnn.py:im2col: 1 -> 2': HELPER_STRIDE,
    'cnn.py:col2im: 1 -> 2': HELPER_STRIDE,
    'cnn.py:conv_forward: 1 -> 2 #3': RESHAPE,
    'cnn.py:conv_backward: 1 -> 2 #2': RESHAPE,
    'cnn.py:conv_backward: 1 -> 2 #4': RESHAPE,
    'cnn.py:maxpool_backward: 1 -> 2 #3': RESHAPE,
    'cnn.py:cnn_forward: 1 -> 2 #2': RESHAPE,
    'cnn.py:im2col: 2 -> 4 #2': BIGGER_PAD,
    'cnn.py:im2col: 2 -> 4 #3': BIGGER_PAD,
    'cnn.py:col2im: 2 -> 4 #2': BIGGER_PAD,
    'cnn.py:col2im: 2 -> 4 #3': BIGGER_PAD,
    'mlp.py:mlp_forward_backward: 0.0 -> 1.0': MLP_HELPER,
    'mlp.py:mlp_forward_backward: 1.0 -> 2.0': MLP_HELPER,
    'mlp.py:mlp_forward_backward: 0 -> 1': MLP_HELPER,
    'mlp.py:mlp_loss_and_grads: 1.0 -> 2.0': NO_MASK,
    'mlp.py:mlp_fit: 1.0 -> 2.0': NO_MASK,
    'mlp.py:mlp_forward_backward: 1.0 -> 2.0 #3': ALL_KEPT,
    'mlp.py:mlp_forward_backward: Lt -> LtE': ALL_KEPT,
    'mlp.py:dropout_forward: Lt -> LtE': NEVER_EQUAL,
    'mlp.py:mlp_forward_backward: Lt -> LtE #3': NEVER_EQUAL,
    'mlp.py:batchnorm_backward: True -> False #3': KEEPDIMS,
    'mlp.py:batchnorm_backward: True -> False #4': KEEPDIMS,
    'mlp.py:batchnorm_backward: True -> False #5': KEEPDIMS,
    'mlp.py:batchnorm_backward: True -> False #6': KEEPDIMS,
    'mlp.py:mlp_fit: 0 -> 1 #2': STEP_SEEDS,
    'mlp.py:mlp_fit: 1 -> 2': STEP_SEEDS,
    'mlp.py:tuned_hyperparameters: 0.1 -> 0.2': TUNED,
    'mlp.py:tuned_hyperparameters: False -> True': TUNED,
    'mlp.py:tuned_hyperparameters: 128 -> 256': TUNED,
}


def mutants(source):
    """(description, mutated source) for every mutation of a module's code.

    Docstrings are left alone; every binary operator, comparison, numeric constant,
    boolean constant and unary minus is changed once.
    """
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    owners, seen = _owners(tree), {}
    for index, node in enumerate(ast.walk(tree)):
        for description, change in _changes(node, docstrings):
            mutated = copy.deepcopy(tree)
            target = list(ast.walk(mutated))[index]
            change(target)
            key = f'{owners.get(id(node), "<module>")}: {description}'
            seen[key] = seen.get(key, 0) + 1
            yield (key if seen[key] == 1 else f'{key} #{seen[key]}'), ast.unparse(mutated)


def _owners(tree):
    """{id(node): name of the innermost function that holds it}, so that a mutant's key
    survives edits elsewhere in the module."""
    owners = {}
    for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
        for node in ast.walk(function):
            owners[id(node)] = function.name     # inner functions come later and win
    return owners


def _changes(node, docstrings):
    if isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
        new = SWAPS[type(node.op)]
        yield f'{type(node.op).__name__} -> {new.__name__}', lambda n: setattr(n, 'op', new())
    if isinstance(node, ast.Compare) and type(node.ops[0]) in SWAPS:
        new = SWAPS[type(node.ops[0])]
        yield f'{type(node.ops[0]).__name__} -> {new.__name__}', lambda n: n.ops.__setitem__(0, new())
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield 'drop unary minus', lambda n: setattr(n, 'op', ast.UAdd())
    if isinstance(node, ast.Constant) and id(node) not in docstrings:
        if isinstance(node.value, bool):
            yield f'{node.value} -> {not node.value}', lambda n: setattr(n, 'value', not n.value)
        elif isinstance(node.value, (int, float)):
            new = node.value + 1 if node.value in (0, 0.0) else node.value * 2
            yield f'{node.value!r} -> {new!r}', lambda n, new=new: setattr(n, 'value', new)


@functools.cache
def parts_reached(module):
    """Numbers of the parts whose functions live in `module` or in a module of the reference
    that imports it, directly or through others."""
    sources = {name.removesuffix('.py'): (ROOT / 'solution' / name).read_text() for name in GRADED_MODULES}
    reached = {module.removesuffix('.py')}
    while True:
        importers = {name for name, text in sources.items()
                     if any(f'from .{other} import' in text for other in reached)}
        if importers <= reached:
            break
        reached |= importers
    functions = {function for m in SPEC.modules if m.name in reached for function in m.functions}
    return tuple(part.number for part in SPEC.parts if functions & set(part.functions))


def grade_mutant(module, description, source, workdir):
    """Fraction of the points the reference keeps with one module replaced by a mutant, over
    the parts that module reaches; None on a timeout."""
    folder = Path(tempfile.mkdtemp(dir=workdir))
    for name in GRADED_MODULES:
        shutil.copy(ROOT / 'solution' / name, folder / name)
    (folder / module).write_text(source)
    out = folder / 'results.json'
    try:
        subprocess.run([sys.executable, '-m', 'grader', 'grade', str(folder), '--suite', 'all', '--parts',
                        specs.format_parts(parts_reached(module)), '--out', str(out), '--quiet'],
                       cwd=ROOT, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    if not out.exists():
        return None
    results = json.loads(out.read_text())
    return results['score'] / results['extra_data']['max_score']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('--only', choices=GRADED_MODULES)
    args = parser.parse_args(argv)
    modules = [args.only] if args.only else GRADED_MODULES
    jobs = [(module, description, source) for module in modules
            for description, source in mutants((ROOT / 'solution' / module).read_text())]
    with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(args.jobs) as pool:
        scores = list(pool.map(lambda job: grade_mutant(*job, workdir), jobs))
    survivors = [f'{m}:{d}' for (m, d, _), s in zip(jobs, scores) if s == 1]
    equivalent = [key for key in survivors if key in EQUIVALENT]
    holes = [key for key in survivors if key not in EQUIVALENT]
    killed = len(jobs) - len(survivors)
    print(f'{len(jobs)} mutants: {killed} killed, {len(equivalent)} equivalent, {len(holes)} surviving')
    print(f'mutation score (killed / non-equivalent): {killed / (len(jobs) - len(equivalent)):.1%}')
    for key in equivalent:
        print(f'  equivalent {key}: {EQUIVALENT[key]}')
    for key in holes:
        print(f'  SURVIVED   {key}')
    return 1 if holes else 0


if __name__ == '__main__':
    sys.exit(main())
