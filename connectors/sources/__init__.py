"""Native sources: one package per type, SQL sources sharing `_sql.py`."""
