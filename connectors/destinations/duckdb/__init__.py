"""The duckdb destination: one table per stream in a DuckDB database file."""
