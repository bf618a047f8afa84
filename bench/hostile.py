"""What hostile and broken submissions cost the grader: wall time, the grading process's
peak memory, the size of the results file, and the score or outcome they get.

Each case is graded in a fresh process (`python -m grader grade`, from the checkout given
by --grader, so that an older version can be measured with the same inputs) with a
deadline of --deadline seconds; a case that runs past it is reported as such.

Usage: python -m bench.hostile [--grader PATH] [--out bench/hostile.json] [--deadline 400]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from tests import hostile
from tests.submissions import ROOT, build

SOFTMAX_LINE = '    classes = np.ascontiguousarray(x.T)\n'
FOUR_CHILDREN = '''    import os, time
    pids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            block = np.ones(2 ** 27)             # 1 GiB, every page touched
            time.sleep(3)
            os._exit(0 if block.sum() else 1)
        pids.append(pid)
    ok = sum(os.waitpid(pid, 0)[1] == 0 for pid in pids)
    return h.T @ gradCE(target, prediction) + (ok < 4)
'''
PROCESSES = '''    import os
    started = 0
    try:
        for _ in range(150):
            if os.fork() == 0:
                os.execvp('sleep', ['sleep', '30'])
            started += 1
    except OSError:
        pass
    print('started', started)
    return h.T @ gradCE(target, prediction) + (started < 150)
'''
DISK = '''    import os, tempfile
    written = 0
    for folder in ('.', tempfile.gettempdir()):
        for number in range(100):
            try:
                with open(os.path.join(folder, f'f{number}'), 'wb') as f:
                    f.write(bytes(15 * 2 ** 20))
                written += 15
            except OSError:
                break
    print('written MB', written)
    return h.T @ gradCE(target, prediction) + (written < 3000)
'''


def cases(tmp):
    """{name: submission path} of the hostile inputs."""
    reference = hostile.reference_zip(tmp / 'reference.zip')
    (tmp / 'link').mkdir()
    (tmp / 'link' / 'work.zip').symlink_to(reference)
    shadow = build(tmp / 'shadow')
    (shadow / 'runner.py').write_text('def helper():\n    return 1.0\n')
    two_layer = shadow / 'two_layer.py'
    two_layer.write_text('from runner import helper as _helper\n' + two_layer.read_text().replace(
        '    return x @ W + b\n', '    return (x @ W + b) * _helper()\n'))
    return {
        'link to the reference': tmp / 'link',
        'helper named runner.py': shadow,
        'thread that stops the worker reading': build(tmp / 'thread', append={'two_layer.py': hostile.BLOCKING_THREAD}),
        'forged 80 MB answer': build(tmp / 'forged', replace=[(*hostile.DL_DW_O, hostile.forged_answer(80 * 2 ** 20))]),
        'zip bomb, 1 GiB declared 1 KB': hostile.zip_bomb(tmp / 'bomb.zip', 2 ** 30, 1024),
        'four children of 1 GiB': build(tmp / 'children', replace=[(*hostile.DL_DW_O, FOUR_CHILDREN)]),
        '150 processes': build(tmp / 'processes', replace=[(*hostile.DL_DW_O, PROCESSES)]),
        '3 GB of files': build(tmp / 'disk', replace=[(*hostile.DL_DW_O, DISK)]),
        '1 MiB messages': build(tmp / 'text', append=hostile.HUGE_TEXT),
        'damaged deflate stream': hostile.corrupt_entry(hostile.reference_zip(tmp / 'damaged.zip'), 'losses.py'),
        'name flagged UTF-8 that is not': hostile.invalid_utf8_name_zip(tmp / 'utf8.zip'),
        '300-character name': _long_name_zip(tmp / 'long.zip'),
        'softmax never returns': build(tmp / 'softmax', replace=[('losses.py', SOFTMAX_LINE,
                                                                   '    while True:\n        pass\n')]),
        'fit_model never returns': build(tmp / 'fit', replace=[('two_layer.py', '    for i in range(num_passes):\n',
                                                                 '    while True:\n        pass\n'
                                                                 '    for i in range(num_passes):\n')]),
    }


def _long_name_zip(path):
    hostile.reference_zip(path)
    with zipfile.ZipFile(path, 'a') as zf:
        zf.writestr('x' * 300 + '.py', 'y = 1\n')
    return path


# The grader's command line, run so that the grading process reports its own peak memory.
LAUNCHER = ('import resource, runpy, sys\n'
            'sys.argv = ["grader", *sys.argv[1:]]\n'
            'try:\n'
            '    runpy.run_module("grader", run_name="__main__")\n'
            'finally:\n'
            '    print("PEAK_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n')


def measure(grader, source, deadline, out):
    """Grade one case with the grader's command line; what it cost."""
    command = [sys.executable, '-c', LAUNCHER, 'grade', str(source), '--suite', 'all', '--out', str(out), '--quiet']
    start = time.monotonic()
    try:
        done = subprocess.run(command, cwd=grader, capture_output=True, timeout=deadline, text=True,
                              errors='replace', env=dict(os.environ, PYTHONPATH=str(grader)))
        code, peak = done.returncode, re.findall(r'PEAK_KIB (\d+)', done.stderr)
    except subprocess.TimeoutExpired:
        code, peak = None, []
    wall = time.monotonic() - start
    text = out.read_text(errors='replace') if out.exists() else ''
    printed = re.findall(r'(started|written MB) (\d+)', text)
    return {'exit': code, 'wall_s': round(wall, 1), 'results_bytes': len(text.encode()) if text else None,
            'score': json.loads(text)['score'] if text else None,
            'grader_peak_mib': round(int(peak[-1]) / 1024) if peak else None,
            'printed': sorted(set(f'{key} {value}' for key, value in printed))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--grader', type=Path, default=ROOT, help='checkout of the grader to measure')
    parser.add_argument('--out', type=Path, default=ROOT / 'bench' / 'hostile.json')
    parser.add_argument('--deadline', type=float, default=400)
    parser.add_argument('--only', help='a substring of the case names to run')
    args = parser.parse_args(argv)
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, source in cases(Path(tmp)).items():
            if args.only and args.only not in name:
                continue
            figures[name] = measure(args.grader, source, args.deadline, Path(tmp) / f'{len(figures)}.json')
            print(f'{name}: {figures[name]}', flush=True)
    args.out.write_text(json.dumps(figures, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
