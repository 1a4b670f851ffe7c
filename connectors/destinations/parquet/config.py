"""Config of the parquet destination; imports pydantic and nothing heavy."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from connectors.spec import ConnectorConfig


class ParquetConfig(ConnectorConfig):
    """OLake's writer fields. Accepts `{"type": "PARQUET", "writer": {...}}` and the flat form."""

    local_path: str = Field(
        ...,
        min_length=1,
        title="Local path",
        description="Folder that receives <namespace>/<table>/",
    )
    compression: Literal["zstd", "snappy", "gzip", "lz4", "brotli", "none"] = Field(
        "zstd", title="Compression"
    )
    row_group_size: int = Field(
        1_000_000, ge=1, title="Row group size", description="Rows per Parquet row group"
    )
    use_dictionary: bool = Field(
        False,
        title="Dictionary encoding",
        description="Smaller files for repetitive columns, at about 15% of the write speed; "
        "zstd already compresses repetition well",
    )
    max_file_rows: int = Field(
        10_000_000, ge=1, title="Rows per file", description="A new file starts after this many"
    )

    @model_validator(mode="before")
    @classmethod
    def _unwrap_writer(cls, data: Any) -> Any:
        # OLake's destination config nests the writer's fields under "writer".
        if isinstance(data, dict) and isinstance(data.get("writer"), dict):
            return {**{k: v for k, v in data.items() if k != "writer"}, **data["writer"]}
        return data
