"""Benchmarks (``make bench``). Figures go into the README, not into tests."""
