"""Benchmarks (`make bench`). Each ``bench_*.py`` module has ``run() -> dict`` returning figures; targets are
ratios against a baseline measured in the same run, because these machines are noisy."""
