"""Benchmarks printed side by side in one run (``make bench``); no pass/fail on time."""
