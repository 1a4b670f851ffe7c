"""Prefect flows and tasks: sync a job step by step, stream by stream."""
