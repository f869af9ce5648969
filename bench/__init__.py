"""Benchmarks: run as `python -m bench.<name>`; figures go to docs/performance.md."""
