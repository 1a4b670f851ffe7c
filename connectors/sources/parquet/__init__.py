"""The parquet source: Parquet files as one stream."""
