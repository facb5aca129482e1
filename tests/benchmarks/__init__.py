"""Benchmarks: what the server adds on top of TeamViewer, against a bare Django REST Framework baseline.

Run with ``scripts/bench`` (``python -m tests.benchmarks --help`` for the options). Not collected
by the default test run; ``tests/test_benchmark_pieces.py`` checks that the pieces work.
"""
