"""The parquet destination: OLake's local Parquet writer layout."""
