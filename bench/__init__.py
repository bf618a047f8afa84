"""Benchmarks of the harness: python -m bench.run."""
