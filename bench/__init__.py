"""Reproducible benchmarks and their data generators (never part of the test suite)."""
