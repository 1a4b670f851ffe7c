"""Config of the parquet source; imports pydantic and nothing heavy."""

from __future__ import annotations

from connectors.sources._files_config import FilesConfig


class ParquetSourceConfig(FilesConfig):
    """Parquet files: a file, a directory (hidden and `_` files skipped) or a glob."""
