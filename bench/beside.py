"""Grades that do not depend on what else runs on the machine: honest submissions graded
alone, then again while hostile submissions are graded beside them, two at a time (as
a batch with --jobs 2 on two cores would); every test must end as it did alone.

The honest ones are the reference and a submission whose one function never returns,
so that its worker is stopped and a new one started for the modules after it: the
restart that a busy machine used to turn into lost points.

Usage: python -m bench.beside [--rounds 3] [--out bench/beside.json]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.hostile import cases as hostile_cases
from tests import hostile
from tests.submissions import PARTS_1_TO_5, ROOT, build, parts_option

PARTS = parts_option(PARTS_1_TO_5)
HOSTILE = ('150 processes', 'four children of 1 GiB', '3 GB of files', 'thread that stops the worker reading',
           'forged 80 MB answer', 'softmax never returns')


def honest(tmp):
    """{name: submission} of the submissions whose grades must not move."""
    hang = build(tmp / 'hang', replace=[(*hostile.DL_DW_O, '    while True:\n        pass\n')])
    return {'reference': ROOT / 'solution', 'a call that times out, then other modules': hang}


def grade(source, out):
    """{test name: (status, score)} of one grading by the command line. (Feedback may name
    either line of a two-line endless loop, whichever the stack dump caught.)"""
    command = [sys.executable, '-m', 'grader', 'grade', str(source), '--suite', 'all', '--parts', PARTS,
               '--timeout', '2', '--out', str(out), '--quiet']
    subprocess.run(command, cwd=ROOT, capture_output=True, timeout=900, check=True)
    return {test['name']: (test['status'], test['score']) for test in json.loads(out.read_text())['tests']}


def lane(sources, out):
    """A process that grades `sources` one after the other, round and round, until the file
    out/stop appears (then it ends its grading first: a killed grader leaves its cgroups)."""
    script = ('import itertools, os, subprocess, sys\n'
              'for n, source in enumerate(itertools.cycle(sys.argv[2:])):\n'
              '    if os.path.exists(f"{sys.argv[1]}/stop"):\n'
              '        break\n'
              '    subprocess.run([sys.executable, "-m", "grader", "grade", source, "--suite", "all", "--quiet",\n'
              '                    "--out", f"{sys.argv[1]}/{n % 10}.json"], capture_output=True)\n')
    return subprocess.Popen([sys.executable, '-c', script, str(out), *map(str, sources)], cwd=ROOT)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--out', type=Path, default=ROOT / 'bench' / 'beside.json')
    args = parser.parse_args(argv)
    figures, moved = {}, 0
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        attackers = [source for name, source in hostile_cases(tmp).items() if name in HOSTILE]
        for name, source in honest(tmp).items():
            alone = grade(source, tmp / 'alone.json')
            changed = []
            for round_ in range(args.rounds):
                folders = [Path(tempfile.mkdtemp(dir=tmp)) for _ in range(2)]
                lanes = [lane(attackers[k::2], folder) for k, folder in enumerate(folders)]
                time.sleep(5)     # let the hostile gradings get going
                try:
                    beside = grade(source, tmp / f'beside{round_}.json')
                finally:
                    for folder, process in zip(folders, lanes):
                        (folder / 'stop').touch()
                        process.wait()
                changed += [f'{test}: {alone[test]} -> {beside.get(test)}' for test in alone
                            if beside.get(test) != alone[test]]
            figures[name] = {'tests': len(alone), 'passed alone': sum(s == 'passed' for s, _ in alone.values()),
                             'rounds beside hostile gradings': args.rounds, 'tests that ended otherwise': changed}
            moved += len(changed)
            print(f'{name}: {figures[name]}', flush=True)
    args.out.write_text(json.dumps(figures, indent=1) + '\n')
    return 1 if moved else 0


if __name__ == '__main__':
    sys.exit(main())
