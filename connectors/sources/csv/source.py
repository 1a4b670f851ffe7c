"""The csv source, reading with pyarrow's multithreaded CSV parser."""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow.csv as pcsv
import pyarrow.dataset as ds

from connectors.sources._files import FileSource
from connectors.sources.csv.config import CSVConfig


class CSVSource(FileSource):
    type: ClassVar[str] = "csv"
    config_model = CSVConfig
    suffixes = (".csv", ".csv.gz", ".tsv", ".txt")

    def file_format(self, config: Any) -> ds.FileFormat:
        read = pcsv.ReadOptions(
            column_names=config.column_names,
            autogenerate_column_names=not config.header and not config.column_names,
            skip_rows=config.skip_rows,
            encoding=config.encoding,
        )
        parse = pcsv.ParseOptions(delimiter=config.delimiter, quote_char=config.quote_char)
        return ds.CsvFileFormat(read_options=read, parse_options=parse)
