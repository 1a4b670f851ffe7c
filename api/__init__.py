"""The FastAPI facade: one app, one router package per contract (dialect)."""
