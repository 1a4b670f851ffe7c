"""The parquet source, reading with pyarrow.dataset (column projection and filter pushdown)."""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow.dataset as ds

from connectors.sources._files import FileSource
from connectors.sources.parquet.config import ParquetSourceConfig


class ParquetSource(FileSource):
    type: ClassVar[str] = "parquet"
    config_model = ParquetSourceConfig
    suffixes = (".parquet", ".parq", ".pq")

    def file_format(self, config: Any) -> ds.FileFormat:
        return ds.ParquetFileFormat()
