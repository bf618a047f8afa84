"""Call every function a student bundle ships with the contract's inputs of every graded
function, and list those whose result reproduces the reference's answer.

    python tests/answer_sweep.py BUNDLE OUT.json

Run it in a pid namespace of its own and an empty working folder: it calls a few thousand
functions of the harness with arguments they were never meant for. Entry points
(__main__.py) are not imported; a module that cannot be imported is listed.
"""

import importlib
import inspect
import json
import os
import select
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS_PER_CALL = 10


def module_names(bundle, graded_files):
    """The dotted names of the bundle's modules, without the skeleton's graded ones."""
    for path in sorted(bundle.rglob('*.py')):
        relative = path.relative_to(bundle)
        if path.name == '__main__.py' or relative.parts[0] == 'assignment' and path.name in graded_files:
            continue
        parts = relative.with_suffix('').parts
        yield '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def _arrays(value):
    """Every number and array inside a result: the result itself, its items, its values."""
    import numpy as np
    if isinstance(value, dict):
        return [array for item in value.values() for array in _arrays(item)]
    if isinstance(value, (tuple, list)) and value and not all(isinstance(v, (int, float)) for v in value):
        return [array for item in value for array in _arrays(item)]
    try:
        return [np.asarray(value, dtype=np.float64)]
    except (TypeError, ValueError):
        return []


def telling(array, inputs):
    """Whether a part of an answer would tell the function apart: not constant, not a copy
    of an input, not 0 or 1."""
    import numpy as np
    if array.size == 0 or not np.all(np.isfinite(array)):
        return False
    if array.size == 1:
        return float(array.reshape(())) not in (0.0, 1.0)
    if np.all(array == array.flat[0]):
        return False
    return not any(known.shape == array.shape and np.allclose(known, array) for known in inputs)


def reproduces(got, parts):
    """Whether a result holds one of an answer's telling parts."""
    import numpy as np
    for array in _arrays(got):
        for part in parts:
            if array.shape == part.shape and np.allclose(array, part, rtol=1e-6, atol=1e-12):
                return True
    return False


def reproduced_by(function, args, parts):
    """Whether function(*args) holds one of an answer's telling parts. The call runs in a child
    process, so that what it changes (limits, signals, descriptors, the user) dies with it;
    one that fails, dies or takes longer than SECONDS_PER_CALL reproduces nothing."""
    try:
        inspect.signature(function).bind(*args)
    except (TypeError, ValueError):
        return False
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        verdict = b'0'
        try:
            signal.alarm(SECONDS_PER_CALL)
            verdict = b'1' if reproduces(function(*args), parts) else b'0'
        finally:
            os.write(write, verdict)
            os._exit(0)
    os.close(write)
    with os.fdopen(read, 'rb') as answer:
        ready, _, _ = select.select([answer], [], [], SECONDS_PER_CALL + 5)
        verdict = answer.read(1) if ready else b''
    if not verdict:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return verdict == b'1'


def sweep(bundle):
    """{'functions': [...], 'unimportable': [...], 'reproduced': [[function, graded function], ...]}."""
    sys.path[:0] = [str(bundle)]
    sys.path.append(str(ROOT))          # after the bundle's: the reference and the contract's calls
    from grader.spec import SPEC
    from tests.contract_calls import calls
    answers = {}
    for name, (module, args) in calls().items():
        answer = getattr(importlib.import_module(f'solution.{module}'), name)(*args)
        answers[name] = (args, [part for part in _arrays(answer) if telling(part, _arrays(args))])
    functions, unimportable, reproduced = [], [], []
    for module_name in module_names(bundle, {module.file for module in SPEC.modules}):
        try:
            module = importlib.import_module(module_name)
        except Exception as error:       # listed: the test decides what may be missing
            unimportable.append(f'{module_name}: {type(error).__name__}')
            continue
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__:
                continue
            functions.append(f'{module_name}.{name}')
            for graded, (args, parts) in answers.items():
                if reproduced_by(function, args, parts):
                    reproduced.append([f'{module_name}.{name}', graded])
    return {'functions': functions, 'unimportable': unimportable, 'reproduced': reproduced}


if __name__ == '__main__':
    result = sweep(Path(sys.argv[1]).resolve())
    Path(sys.argv[2]).write_text(json.dumps(result, indent=1))
