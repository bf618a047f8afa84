"""The benchmark runs (a smoke run: one repeat, the public suite, a batch of two, short
training); timings are measured by `make bench`, never asserted here."""

import json
import subprocess
import sys

from tests.submissions import ROOT


def test_the_benchmark_smoke_run_writes_every_figure(tmp_path):
    out = tmp_path / 'results.json'
    done = subprocess.run([sys.executable, '-m', 'bench.run', '--smoke', '--out', str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(results) == {'machine', 'grading', 'isolation', 'batch', 'training', 'cnn', 'gradescope'}
    assert set(results['grading']) == {'reference, public', 'skeleton, public'}
    assert results['cnn']['accuracy'] > 0.9 and results['cnn']['position_loop_fit_cpu_s'] > 0
    assert set(results['isolation']['seconds']) == {'inprocess', 'none', 'bwrap'}
    assert set(results['training']['tasks']) == {'moons', 'digits'}
    assert results['batch']['submissions'] == 2
    assert '| Gradescope budget |' in done.stdout and '| CNN on digit images |' in done.stdout
