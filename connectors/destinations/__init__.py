"""Native destinations: parquet files (OLake's writer layout) and DuckDB."""
