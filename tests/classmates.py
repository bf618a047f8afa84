"""A class of submissions written independently, and a copy disguised as a copier would.

Each generated submission is the released skeleton of the modules below (parts 1-5) with
some of its stubs filled in; the class answers no other part, so that no module is left
all skeleton (identical stubs, shuffled in the copy, say nothing of who copied). Every
stub has several correct ways to write it (vectorised or with loops, with a helper function
or without, statements in another order); a student picks one per function at random, names
the local variables after their own taste and sprinkles their own comments. Two students
sometimes pick the same way for one function, as real classmates do, but rarely for most.

`disguise` turns one student's modules into a copy: the local variables and helper
functions renamed, the functions of every module shuffled.
"""

import ast
import random
import re
from pathlib import Path

import nbformat

from tests.submissions import ROOT

# {module file: {function: [body templates]}}; $name is a local name the student chooses,
# $_name a helper function (its definition, in HELPERS, goes to the end of the module).
VARIANTS = {
    'activations.py': {
        'relu': [
            'return np.maximum(x, 0.0)',
            '$out = np.array(x, dtype=float)\n$out[$out < 0] = 0.0\nreturn $out',
            'return np.where(x > 0, x, 0.0).astype(float)',
            'return (x * (x > 0)).astype(np.float64)',
            'return np.clip(x, 0, None).astype(float)',
        ],
        'gradRelu': [
            'return (x > 0).astype(np.float64)',
            'return np.where(x > 0, 1.0, 0.0)',
            '$out = np.zeros(np.shape(x))\n$out[x > 0] = 1.0\nreturn $out',
            'return np.greater(x, 0).astype(float)',
            'return np.heaviside(x, 0.0)',
        ],
        'sigmoid': [
            '$e = np.exp(-np.abs(x))\nreturn np.where(x >= 0, 1.0 / (1.0 + $e), $e / (1.0 + $e))',
            '$out = np.empty(np.shape(x))\n$pos = x >= 0\n$out[$pos] = 1.0 / (1.0 + np.exp(-x[$pos]))\n'
            '$e = np.exp(x[~$pos])\n$out[~$pos] = $e / (1.0 + $e)\nreturn $out',
            'return 0.5 * (1.0 + np.tanh(0.5 * x))',
            'return np.exp(-np.logaddexp(0.0, -x))',
            'return $_logistic(np.asarray(x, dtype=float))',
        ],
        'tanh': [
            'return np.tanh(x)',
            '$e = np.exp(-2.0 * np.abs(x))\nreturn np.sign(x) * (1.0 - $e) / (1.0 + $e)',
            'return 2.0 * sigmoid(2.0 * x) - 1.0',
            '$v = np.asarray(x, dtype=float)\nreturn np.tanh($v)',
        ],
        'actFun': [
            "if type == 'tanh':\n    return tanh(z)\nif type == 'sigmoid':\n    return sigmoid(z)\n"
            "if type == 'relu':\n    return relu(z)\nraise ValueError(f'unknown activation {type!r}')",
            "$table = {'tanh': tanh, 'sigmoid': sigmoid, 'relu': relu}\nif type not in $table:\n"
            "    raise ValueError('unknown activation: ' + str(type))\nreturn $table[type](z)",
            "if type == 'relu':\n    return relu(z)\nelif type == 'sigmoid':\n    return sigmoid(z)\n"
            "elif type == 'tanh':\n    return tanh(z)\nelse:\n    raise ValueError('no such activation %r' % (type,))",
            "match type:\n    case 'tanh':\n        return tanh(z)\n    case 'sigmoid':\n        return sigmoid(z)\n"
            "    case 'relu':\n        return relu(z)\n    case _:\n        raise ValueError(type)",
        ],
        'diff_actFun': [
            "if type == 'tanh':\n    return 1.0 - tanh(z) ** 2\nif type == 'sigmoid':\n    $s = sigmoid(z)\n"
            "    return $s * (1.0 - $s)\nif type == 'relu':\n    return gradRelu(z)\n"
            "raise ValueError(f'unknown activation {type!r}')",
            "$a = actFun(z, type)\nif type == 'tanh':\n    return 1.0 - $a * $a\nif type == 'sigmoid':\n"
            "    return $a * (1.0 - $a)\nreturn gradRelu(z)",
            "$table = {'tanh': lambda $v: 1 - np.tanh($v) ** 2,\n"
            "          'sigmoid': lambda $v: sigmoid($v) * (1 - sigmoid($v)),\n"
            "          'relu': gradRelu}\nif type not in $table:\n    raise ValueError(type)\nreturn $table[type](z)",
            "match type:\n    case 'relu':\n        return gradRelu(z)\n    case 'tanh':\n        $t = tanh(z)\n"
            "        return 1.0 - $t ** 2\n    case 'sigmoid':\n        $s = sigmoid(z)\n        return $s - $s ** 2\n"
            "    case _:\n        raise ValueError('unknown activation ' + repr(type))",
        ],
    },
    'losses.py': {
        'softmax': [
            '$shifted = x - np.max(x, axis=1, keepdims=True)\n$e = np.exp($shifted)\n'
            'return $e / np.sum($e, axis=1, keepdims=True)',
            '$e = np.exp(x - x.max(axis=1)[:, None])\nreturn $e / $e.sum(axis=1)[:, None]',
            '$out = np.zeros(np.shape(x))\nfor $i in range(x.shape[0]):\n    $row = np.exp(x[$i] - np.max(x[$i]))\n'
            '    $out[$i] = $row / np.sum($row)\nreturn $out',
            '$m = np.max(x, axis=1, keepdims=True)\n$lse = $m + np.log(np.sum(np.exp(x - $m), axis=1, keepdims=True))\n'
            'return np.exp(x - $lse)',
            '$t = x.T - np.max(x.T, axis=0)\n$e = np.exp($t)\nreturn ($e / $e.sum(axis=0)).T',
        ],
        'averageCE': [
            '$mask = target > 0\nreturn float(-np.sum(target[$mask] * np.log(prediction[$mask])) / target.shape[0])',
            '$n = target.shape[0]\n$total = 0.0\nfor $i in range($n):\n    for $j in range(target.shape[1]):\n'
            '        if target[$i, $j] != 0:\n            $total -= target[$i, $j] * np.log(prediction[$i, $j])\n'
            'return float($total / $n)',
            '$logs = np.log(np.where(target > 0, prediction, 1.0))\n'
            'return float(-np.mean(np.sum(target * $logs, axis=1)))',
            '$logs = np.zeros(np.shape(prediction))\nnp.log(prediction, out=$logs, where=target > 0)\n'
            'return float(-(target * $logs).sum() / len(target))',
        ],
        'gradCE': [
            'return (prediction - target) / target.shape[0]',
            '$n = len(target)\nreturn (prediction - target) / $n',
            'return np.subtract(prediction, target) / float(prediction.shape[0])',
            '$g = np.array(prediction, dtype=float)\n$g -= target\n$g /= $g.shape[0]\nreturn $g',
        ],
    },
    'two_layer.py': {
        'compute': [
            'return x @ W + b',
            'return np.dot(x, W) + b',
            '$out = x.dot(W)\n$out = $out + b\nreturn $out',
            'return b + np.matmul(x, W)',
        ],
        'dL_dW_o': [
            'return h.T @ gradCE(target, prediction)',
            '$d = gradCE(target, prediction)\nreturn np.dot(h.T, $d)',
            '$d = (prediction - target) / len(target)\nreturn np.transpose(h) @ $d',
            "return np.einsum('nh,nc->hc', h, gradCE(target, prediction))",
        ],
        'dL_db_o': [
            'return np.sum(gradCE(target, prediction), axis=0, keepdims=True)',
            '$d = gradCE(target, prediction)\nreturn $d.sum(axis=0).reshape(1, -1)',
            'return np.ones((1, len(target))) @ gradCE(target, prediction)',
        ],
        'dL_dW_h': [
            '$z = compute(x, W_h, b_h)\n$d = (gradCE(target, prediction) @ W_o.T) * gradRelu($z)\nreturn x.T @ $d',
            'return x.T @ $_hidden_delta(target, prediction, W_o, x, W_h, b_h)',
            '$u = gradCE(target, prediction).dot(W_o.T)\n$u[compute(x, W_h, b_h) <= 0] = 0.0\nreturn x.T.dot($u)',
        ],
        'dL_db_h': [
            '$d = (gradCE(target, prediction) @ W_o.T) * gradRelu(compute(x, W_h, b_h))\n'
            'return np.sum($d, axis=0, keepdims=True)',
            'return $_hidden_delta(target, prediction, W_o, x, W_h, b_h).sum(axis=0, keepdims=True)',
            '$z = x @ W_h + b_h\n$u = (prediction - target) / target.shape[0] @ W_o.T\n$u = $u * ($z > 0)\n'
            'return $u.sum(axis=0)[np.newaxis, :]',
        ],
        'init_params': [
            "$rng = np.random.default_rng(seed)\nreturn {\n"
            "    'W1': $rng.standard_normal((nn_input_dim, nn_hidden_dim)) / np.sqrt(nn_input_dim),\n"
            "    'b1': np.zeros((1, nn_hidden_dim)),\n"
            "    'W2': $rng.standard_normal((nn_hidden_dim, nn_output_dim)) / np.sqrt(nn_hidden_dim),\n"
            "    'b2': np.zeros((1, nn_output_dim)),\n}",
            "$rng = np.random.default_rng(seed)\n$w1 = $rng.standard_normal((nn_input_dim, nn_hidden_dim))\n"
            "$w2 = $rng.standard_normal((nn_hidden_dim, nn_output_dim))\n"
            "return {'W1': $w1 / np.sqrt(nn_input_dim), 'b1': np.zeros((1, nn_hidden_dim)),\n"
            "        'W2': $w2 / np.sqrt(nn_hidden_dim), 'b2': np.zeros((1, nn_output_dim))}",
            "$rng = np.random.default_rng(seed)\n$p = {}\n"
            "$p['W1'] = $rng.standard_normal(size=(nn_input_dim, nn_hidden_dim)) * (1.0 / np.sqrt(nn_input_dim))\n"
            "$p['b1'] = np.zeros((1, nn_hidden_dim))\n"
            "$p['W2'] = $rng.standard_normal(size=(nn_hidden_dim, nn_output_dim)) * (1.0 / np.sqrt(nn_hidden_dim))\n"
            "$p['b2'] = np.zeros((1, nn_output_dim))\nreturn $p",
        ],
        'feedforward': [
            "$a = actFun(compute(X, params['W1'], params['b1']), actFun_type)\n"
            "return softmax(compute($a, params['W2'], params['b2']))",
            "$w1, $b1, $w2, $b2 = params['W1'], params['b1'], params['W2'], params['b2']\n$z = X @ $w1 + $b1\n"
            "$a = actFun($z, actFun_type)\nreturn softmax($a @ $w2 + $b2)",
            "$z = np.dot(X, params['W1']) + params['b1']\n"
            "$o = np.dot(actFun($z, actFun_type), params['W2']) + params['b2']\nreturn softmax($o)",
        ],
        'calculate_loss': [
            "$p = feedforward(X, params, actFun_type)\n$t = np.eye($p.shape[1])[y]\n"
            "$pen = np.sum(params['W1'] ** 2) + np.sum(params['W2'] ** 2)\n"
            "return averageCE($t, $p) + 0.5 * reg_lambda * float($pen)",
            "$p = feedforward(X, params, actFun_type)\n$n = X.shape[0]\n$t = np.zeros(np.shape($p))\n"
            "$t[np.arange($n), y] = 1.0\n"
            "$reg = 0.5 * reg_lambda * (np.sum(params['W1'] ** 2) + np.sum(params['W2'] ** 2))\n"
            "return averageCE($t, $p) + $reg",
            "$reg = sum(np.sum(params[$k] * params[$k]) for $k in ('W1', 'W2'))\n"
            "$p = feedforward(X, params, actFun_type)\n$t = np.zeros_like($p)\n"
            "for $i, $c in enumerate(y):\n    $t[$i, $c] = 1\nreturn float(averageCE($t, $p) + reg_lambda / 2 * $reg)",
        ],
        'predict': [
            'return np.argmax(feedforward(X, params, actFun_type), axis=1)',
            '$p = feedforward(X, params, actFun_type)\nreturn $p.argmax(axis=1)',
            '$p = feedforward(X, params, actFun_type)\nreturn np.array([int(np.argmax($row)) for $row in $p])',
        ],
        'momentum_step': [
            '$v = {$k: momentum * velocity[$k] - epsilon * grads[$k] for $k in params}\n'
            '$p = {$k: params[$k] + $v[$k] for $k in params}\nreturn $p, $v',
            '$p, $v = {}, {}\nfor $k in params:\n    $v[$k] = momentum * velocity[$k] - epsilon * grads[$k]\n'
            '    $p[$k] = params[$k] + $v[$k]\nreturn $p, $v',
            '$v = {}\nfor $k, $g in grads.items():\n    $v[$k] = momentum * velocity[$k] - epsilon * $g\n'
            'return {$k: params[$k] + $v[$k] for $k in params}, $v',
        ],
    },
}

HELPERS = {
    '_logistic': 'def $_logistic(v):\n    e = np.exp(-np.abs(v))\n'
                 '    return np.where(v >= 0, 1 / (1 + e), e / (1 + e))',
    '_hidden_delta': 'def $_hidden_delta(target, prediction, W_o, x, W_h, b_h):\n'
                     '    upstream = gradCE(target, prediction) @ W_o.T\n'
                     '    return upstream * gradRelu(compute(x, W_h, b_h))',
}

NAMES = ('tmp', 'out', 'res', 'result', 'arr', 'vals', 'e', 'ex', 'exps', 'm', 'mask', 'pos', 'keep', 'n',
         'num', 'count', 'acc', 'total', 's', 'norm', 'denom', 'g', 'grad', 'delta', 'd', 'dz', 'back', 'up',
         'hid', 'a1', 'z1', 'probs', 'p', 'onehot', 'Y', 'penalty', 'reg', 'l2', 'i', 'j', 'k', 'idx', 'row',
         'r', 'col', 'c', 'w1', 'w2', 'bias1', 'bias2', 'lookup', 'table', 'fns', 'mx', 'shifted', 'lse',
         'logp', 'logs', 'nll', 'scores', 'logits', 'pred', 'val', 'v', 'vel', 'step', 'new_p', 'new_v',
         'key', 'name', 'u', 't', 'q', 'tot', 'buf', 'work', 'hidden_out', 'act', 'pre', 'o', 'A', 'Z')
HELPER_NAMES = ('_helper', '_aux', '_stable', '_calc', '_inner', '_util', '_do_it', '_part', '_core', '_impl')
COMMENTS = ('# vectorised version', '# see the handout', '# TODO: double-check shapes', '# works for any shape',
            '# numerically stable', '# TA said this is fine', '# (N, C)', '# keep dims for broadcasting',
            '# copied the formula from lecture 4', '# avoid overflow', '# my version', '# simpler this way')
COPIER_WORDS = ('my', 'the', 'new', 'temp', 'value', 'thing', 'data', 'part', 'item', 'x', 'calc', 'final')
PLACEHOLDER = re.compile(r'\$(_?[A-Za-z]\w*)')
STUB = re.compile(r'^(?P<indent>\s+)raise NotImplementedError\s*$')


def write_student(folder, rng, choices=None, names=None):
    """Write one student's modules into folder (created): the skeleton with stubs filled in.

    Inputs:
    - folder: where the submission goes
    - rng: random.Random of this student
    - choices: {function: variant index}; by default drawn from rng (each stub is left
      unfinished with probability 0.1)
    - names: {placeholder: name}; by default drawn from rng

    Returns:
    - (choices, names), to write the same student again
    """
    functions = [f for module in VARIANTS.values() for f in module]
    if choices is None:
        choices = {f: rng.randrange(len(_variants(f))) for f in functions if rng.random() > 0.1}
    if names is None:
        names = _names(rng)
    folder = Path(folder)
    folder.mkdir(parents=True)
    for module in VARIANTS:
        skeleton = (ROOT / 'assignment' / module).read_text()
        (folder / module).write_text(_fill(skeleton, VARIANTS[module], choices, names, rng))
    return choices, names


def _variants(function):
    return next(module[function] for module in VARIANTS.values() if function in module)


def _names(rng):
    """{placeholder: name}: distinct local names and helper names, drawn once per student."""
    placeholders = sorted({p for module in VARIANTS.values() for bodies in module.values() for body in bodies
                           for p in PLACEHOLDER.findall(body)} | {p for p in HELPERS})
    local = rng.sample(NAMES, len([p for p in placeholders if not p.startswith('_')]))
    helpers = rng.sample(HELPER_NAMES, len([p for p in placeholders if p.startswith('_')]))
    return {p: (helpers.pop() if p.startswith('_') else local.pop()) for p in placeholders}


def _fill(skeleton, variants, choices, names, rng):
    """The skeleton with every chosen stub replaced by its body, and the helpers it uses appended."""
    lines, function, helpers = [], None, []
    for line in skeleton.split('\n'):
        if line.startswith('def '):
            function = line[4:line.index('(')]
        stub = STUB.match(line)
        if stub and function in variants and function in choices:
            body = variants[function][choices[function]]
            helpers += [h for h in PLACEHOLDER.findall(body) if h in HELPERS and h not in helpers]
            if rng.random() < 0.4:
                body = rng.choice(COMMENTS) + '\n' + body
            lines += [stub['indent'] + row if row else row for row in _named(body, names).split('\n')]
        else:
            lines.append(line)
    text = '\n'.join(lines)
    for helper in helpers:
        text = text.rstrip('\n') + '\n\n\n' + _named(HELPERS[helper], names) + '\n'
    return text


def _named(template, names):
    return PLACEHOLDER.sub(lambda match: names[match[1]], template)


def disguise(source, rng):
    """A copy of one module as a copier hides it: local variables and helper functions renamed
    (consistently), top-level functions shuffled. Comments, docstrings and layout stay."""
    tree = ast.parse(source)
    renames = _renames(tree, rng)
    # Where each renamed name stands, as (line, column): variables, and helpers after `def `.
    spots = [(node.lineno, node.col_offset, node.id) for node in ast.walk(tree)
             if isinstance(node, ast.Name) and node.id in renames]
    spots += [(node.lineno, node.col_offset + len('def '), node.name) for node in tree.body
              if isinstance(node, ast.FunctionDef) and node.name in renames]
    lines = source.split('\n')
    for line, column, name in sorted(spots, reverse=True):
        text = lines[line - 1]
        lines[line - 1] = text[:column] + renames[name] + text[column + len(name):]
    return _shuffle_functions('\n'.join(lines), rng)


def _renames(tree, rng):
    """{old: new} for names assigned inside functions and for private module-level functions."""
    parameters = {arg.arg for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.Lambda))
                  for arg in node.args.args}
    local = {node.id for function in tree.body if isinstance(function, ast.FunctionDef)
             for node in ast.walk(function) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    local |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith('_')}
    taken = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | parameters
    renames = {}
    for name in sorted(local - parameters):
        fresh = name
        while fresh in taken:
            fresh = ('_' if name.startswith('_') else '') + '_'.join(rng.sample(COPIER_WORDS, 2))
        taken.add(fresh)
        renames[name] = fresh
    return renames


def _shuffle_functions(source, rng):
    """The module with its top-level functions in a random order (the preamble stays first)."""
    chunks = re.split(r'\n(?=def )', source)
    preamble, functions = chunks[0], [chunk.rstrip('\n') + '\n' for chunk in chunks[1:]]
    rng.shuffle(functions)
    return preamble.rstrip('\n') + '\n\n\n' + '\n\n'.join(functions)


def write_notebook(path, modules):
    """A notebook with one code cell per module: what a student who pastes modules in hands in."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell('# My homework')]
    notebook.cells += [nbformat.v4.new_code_cell(text) for text in modules.values()]
    Path(path).write_text(nbformat.writes(notebook))


def write_class(folder, size, seed=0):
    """`size` independent students in folder (one in three as a .zip), plus a copy of the first.

    The copy, 'copier', is a notebook holding the disguised modules of 'student000'.

    Returns:
    - the ids of the copied pair: ('copier', 'student000')
    """
    import shutil

    folder = Path(folder)
    for number in range(size):
        student = folder / f'student{number:03d}'
        write_student(student, random.Random(f'{seed}-{number}'))
        if number % 3 == 2:
            shutil.make_archive(str(student), 'zip', student)
            shutil.rmtree(student)
    rng = random.Random(f'{seed}-copier')
    original = folder / 'student000'
    write_notebook(folder / 'copier.ipynb', {name: disguise((original / name).read_text(), rng)
                                             for name in VARIANTS})
    return 'copier', 'student000'
