"""The orc-rust-ator dialect: multi-task jobs (api/csv/parquet -> duckdb) on the same core."""
