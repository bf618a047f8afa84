"""Benchmarks: grading latency, isolation overhead, batch throughput, the reference
against scikit-learn and against the machine, the CNN against PyTorch, and the
Gradescope budget.

Every figure is the median of --repeats runs; ratios compare runs of this one process.
Prints a Markdown table and writes bench/results.json. --smoke runs everything once,
small, on the public suite of parts 1-3: it proves the benchmark works, not how fast
anything is.

Usage: python -m bench.run [--repeats 5] [--batch 40] [--torch PYTHON] [--smoke]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from grader.engine import spec as specs
from grader.engine.sandbox.processes import descendants

ROOT = Path(__file__).resolve().parent.parent
GIB = 2 ** 30
SMOKE_PARTS = (1, 2, 3)      # no training: the smoke run proves the benchmark runs, in seconds
TRAINERS = ('fit_model', 'deep_fit', 'cnn_fit', 'mlp_fit', 'tuned_hyperparameters')
# One BLAS thread, as in the grader's worker, for the trusted side and both trainers.
ENV = {'PATH': '/usr/bin:/bin', 'PYTHONPATH': str(ROOT), 'MALLOC_TOP_PAD_': '67108864',
       'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}


class TreeSampler(threading.Thread):
    """Samples a process and its descendants: their summed resident memory, and the CPU time
    each has used. The CPU of a process that is killed, not reaped (a sandboxed worker when
    its bubblewrap is killed), never reaches getrusage; sampling still sees it."""

    def __init__(self, pid, every=0.02):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.done = pid, every, 0, False
        self.cpu = {}

    def run(self):
        ticks = os.sysconf('SC_CLK_TCK')
        while not self.done:
            tree = [self.pid, *descendants(self.pid)]
            self.peak = max(self.peak, sum(_rss(p) for p in tree))
            for pid in tree:
                used = _cpu_ticks(pid)
                if used is not None:
                    self.cpu[pid] = used / ticks
            time.sleep(self.every)


def _rss(pid):
    try:
        return int(Path(f'/proc/{pid}/statm').read_text().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_ticks(pid):
    try:
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])   # utime + stime of the process itself
    except (OSError, IndexError, ValueError):
        return None


def measure(command):
    """Wall seconds, CPU seconds of the whole process tree, and its peak memory (bytes)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, err = process.communicate()
    wall = time.perf_counter() - start
    sampler.done = True
    sampler.join()
    if process.returncode:
        raise RuntimeError(f'{command} failed: {err.decode()[-2000:]}')
    return wall, sum(sampler.cpu.values()), sampler.peak


def grading_latency(repeats, workdir, suites=('public', 'all'), parts=()):
    """The CLI on the reference and the skeleton, public and all suites, through the bwrap worker;
    `parts`: the part numbers graded (default: all)."""
    rows = {}
    for name, folder in (('reference', 'solution'), ('skeleton', 'assignment')):
        for suite in suites:
            runs, out = [], Path(workdir) / f'{name}-{suite}.json'
            for _ in range(repeats):
                runs.append(measure([sys.executable, '-m', 'grader', 'grade', folder, '--suite', suite,
                                     '--out', str(out), '--quiet', *_part_arguments(parts)]))
            results = json.loads(out.read_text())
            rows[f'{name}, {suite}'] = dict(_medians(runs), where=_where(results, statistics.median(r[0] for r in runs)))
    return rows


def _part_arguments(parts):
    """The CLI's arguments that grade these part numbers only; none for all parts."""
    return ['--parts', specs.format_parts(parts)] if parts else []


def _medians(runs):
    return {'wall_s': round(statistics.median(r[0] for r in runs), 2),
            'cpu_s': round(statistics.median(r[1] for r in runs), 2),
            'peak_mb': round(statistics.median(r[2] for r in runs) / 2 ** 20)}


def _where(results, wall):
    """Seconds by part, the training tests among them, and start-up (the rest of the wall time)."""
    parts, training = {}, 0.0
    for test in results['tests']:
        part = str(results['extra_data']['parts'].index(test['extra_data']['part']) + 1)
        parts[part] = parts.get(part, 0.0) + test['extra_data']['duration']
        if set(TRAINERS) & set(test['tags']):
            training += test['extra_data']['duration']
    return {'start_up_s': round(wall - results['execution_time'], 2),
            'parts_s': {k: round(v, 2) for k, v in sorted(parts.items())}, 'training_s': round(training, 2)}


def isolation_overhead(repeats, suite='all', parts=()):
    """grade() of the reference: in this process, in a worker, in a bwrap worker; `parts`: the
    part numbers graded (default: all)."""
    code = ("import sys, time; from grader.engine.grading import grade; from grader.spec import SPEC; "
            "spec = SPEC.offering(list(map(int, sys.argv[3:]))) if sys.argv[3:] else SPEC; "
            "t = time.perf_counter(); r = grade('solution', spec, sys.argv[2], sandbox=sys.argv[1]); "
            "assert r['score'] == r['extra_data']['max_score']; print(time.perf_counter() - t)")
    runs = {mode: [] for mode in ('inprocess', 'none', 'bwrap')}
    # In turns, so that a drift of the machine's speed affects every mode alike.
    for _ in range(repeats):
        for mode, seconds in runs.items():
            seconds.append(float(subprocess.run([sys.executable, '-c', code, mode, suite, *map(str, parts)], cwd=ROOT,
                                                env=ENV, check=True, capture_output=True, text=True).stdout))
    times = {mode: round(statistics.median(seconds), 2) for mode, seconds in runs.items()}
    return {'seconds': times, 'worker_ratio': round(times['none'] / times['inprocess'], 3),
            'bwrap_ratio': round(times['bwrap'] / times['inprocess'], 3)}


def batch_throughput(count, workdir, suite='all', parts=()):
    """A generated batch (reference copies, skeletons, one-line bugs) with --jobs 1 and 2;
    `parts`: the part numbers graded (default: all)."""
    sys.path.insert(0, str(ROOT))
    from tests.submissions import build
    from tests.test_mutants import BUGS
    folder = Path(workdir) / 'batch'
    for index in range(count):
        kind = index % 4
        if kind == 0:
            build(folder / f's{index:03d}')
        elif kind == 1:
            build(folder / f's{index:03d}', base='assignment')
        else:
            _, file, old, new, _, _ = BUGS[index % len(BUGS)]
            build(folder / f's{index:03d}', replace=[(file, old, new)])
    rates = {}
    for jobs in (1, 2):
        out = Path(workdir) / f'batch-out-{jobs}'
        wall, _, _ = measure([sys.executable, '-m', 'grader', 'batch', str(folder), '--out', str(out),
                              '--jobs', str(jobs), '--suite', suite, *_part_arguments(parts)])
        rates[jobs] = {'wall_s': round(wall, 1), 'per_minute': round(count / wall * 60, 1)}
    return {'submissions': count, 'jobs_1': rates[1], 'jobs_2': rates[2],
            'speedup': round(rates[1]['wall_s'] / rates[2]['wall_s'], 2)}


def training_comparison(repeats, passes_scale=1.0):
    """The reference's fit_model against MLPClassifier with full-batch SGD, same architecture,
    learning rate, momentum, L2 and epochs; and its GFLOP/s against this machine's matmul."""
    code = (ROOT / 'bench' / 'training.py')
    out = subprocess.run([sys.executable, str(code), str(repeats), str(passes_scale)], cwd=ROOT, env=ENV,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def cnn_speed(repeats, torch_python):
    """The CNN's fit and step against PyTorch's, and the student convolutions (bench/cnn.py)."""
    command = [sys.executable, '-m', 'bench.cnn', '--repeats', str(repeats)]
    if torch_python:
        command += ['--torch', torch_python]
    return json.loads(subprocess.run(command, cwd=ROOT, env=ENV, check=True, capture_output=True,
                                     text=True).stdout)


def gradescope_budget(latency):
    """Full grading of the reference against Gradescope's default 0.5 vCPU and 768 MB."""
    full = latency.get('reference, all', latency['reference, public'])
    return {'cpu_s': full['cpu_s'], 'wall_at_half_vcpu_s': round(full['cpu_s'] / 0.5, 1),
            'limit_s': 600, 'peak_mb': full['peak_mb'], 'memory_limit_mb': 768}


def table(results):
    lines = ['| measurement | figure |', '|---|---|']
    for name, row in results['grading'].items():
        where = row['where']
        lines.append(f"| grading {name} | {row['wall_s']} s wall, {row['cpu_s']} s CPU, {row['peak_mb']} MB peak; "
                     f"start-up {where['start_up_s']} s, parts {where['parts_s']}, training {where['training_s']} s |")
    iso = results['isolation']
    lines.append(f"| isolation (reference, all suites) | in-process {iso['seconds']['inprocess']} s, worker "
                 f"{iso['seconds']['none']} s ({iso['worker_ratio']}x), worker in bwrap {iso['seconds']['bwrap']} s "
                 f"({iso['bwrap_ratio']}x) |")
    batch = results['batch']
    lines.append(f"| batch of {batch['submissions']} | --jobs 1: {batch['jobs_1']['per_minute']}/min, --jobs 2: "
                 f"{batch['jobs_2']['per_minute']}/min, speedup {batch['speedup']}x |")
    for task, row in results['training']['tasks'].items():
        lines.append(f"| {task}: reference vs MLPClassifier | {row['ours_s']} s vs {row['sklearn_s']} s "
                     f"(ratio {row['time_ratio']}); accuracy {row['ours_accuracy']} vs {row['sklearn_accuracy']}; "
                     f"{row['gflops']} GFLOP/s = {row['of_peak']:.0%} of a 1-thread float64 matmul's "
                     f"{row['peak_gflops']} GFLOP/s (its matrix products alone: "
                     f"{row['products_only_of_peak']:.0%}) |")
    cnn = results['cnn']
    torch = (f"; one step {cnn['step_us']} us vs PyTorch {cnn['torch_version']} {cnn['torch_step_us']} us "
             f"(ratio {cnn['ratio_to_torch']})" if cnn['torch_step_us'] else f"; one step {cnn['step_us']} us")
    lines.append(f"| CNN on digit images | cnn_fit {cnn['fit_cpu_s']} CPU s, held-out accuracy {cnn['accuracy']}{torch}; "
                 f"convolution as a loop over output positions {cnn['position_loop_fit_cpu_s']} CPU s, over samples, "
                 f"filters and positions about {cnn['full_loop_fit_cpu_s_estimate']} CPU s |")
    gs = results['gradescope']
    lines.append(f"| Gradescope budget | {gs['cpu_s']} CPU s, about {gs['wall_at_half_vcpu_s']} s at 0.5 vCPU "
                 f"(limit {gs['limit_s']} s); {gs['peak_mb']} MB peak (limit {gs['memory_limit_mb']} MB) |")
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--batch', type=int, default=40)
    parser.add_argument('--torch', help='a Python that can import torch, for the CNN comparison')
    parser.add_argument('--smoke', action='store_true',
                        help='one run of everything, small, on the public suite of parts 1-3')
    parser.add_argument('--out', type=Path, default=ROOT / 'bench' / 'results.json')
    args = parser.parse_args(argv)
    repeats, count, scale = (1, 2, 0.02) if args.smoke else (args.repeats, args.batch, 1.0)
    suite, suites = ('public', ('public',)) if args.smoke else ('all', ('public', 'all'))
    parts = SMOKE_PARTS if args.smoke else ()
    with tempfile.TemporaryDirectory() as workdir:
        latency = grading_latency(repeats, workdir, suites, parts)
        results = {
            'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(), 'numpy': np.__version__,
                        'processor': platform.processor() or platform.machine(), 'smoke': args.smoke},
            'grading': latency,
            'isolation': isolation_overhead(repeats, suite, parts),
            'batch': batch_throughput(count, workdir, suite, parts),
            'training': training_comparison(repeats, scale),
            'cnn': cnn_speed(1 if args.smoke else 3, None if args.smoke else args.torch),
            'gradescope': gradescope_budget(latency),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + '\n')
    print(table(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())
