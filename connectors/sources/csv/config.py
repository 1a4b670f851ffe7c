"""Config of the csv source; imports pydantic and nothing heavy."""

from __future__ import annotations

from pydantic import Field

from connectors.sources._files_config import FilesConfig


class CSVConfig(FilesConfig):
    """CSV files: a file, a directory or a glob; the schema is inferred at discover."""

    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator")
    quote_char: str = Field('"', min_length=1, max_length=1, description="Quote character")
    header: bool = Field(True, description="The first line holds the column names")
    column_names: list[str] | None = Field(
        None, description="Column names when the files have no header line"
    )
    skip_rows: int = Field(0, ge=0, description="Lines to skip before the header or data")
    encoding: str = Field("utf8", description="Text encoding of the files")
