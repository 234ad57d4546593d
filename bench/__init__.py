"""Benchmarks: a large synthetic data set (make_data.py) and page timings (pages.py)."""
