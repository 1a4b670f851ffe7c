"""Config fields the file sources (csv, parquet) share; imports pydantic and nothing heavy."""

from __future__ import annotations

from pydantic import Field

from connectors.spec import ConnectorConfig


class FilesConfig(ConnectorConfig):
    """Where the files are and how they become one stream."""

    path: str = Field(
        ...,
        min_length=1,
        title="Path",
        description="A file, a directory (read recursively) or a glob pattern such as data/*.csv",
    )
    stream_name: str | None = Field(
        None, title="Stream name", description="Defaults to the file or directory name"
    )
    namespace: str = Field("", title="Namespace", description="Namespace of the stream, if any")
    primary_key: list[str] = Field(
        default_factory=list, title="Primary key", description="Columns that identify a row"
    )
    batch_size: int = Field(131_072, ge=1, title="Batch size", description="Rows per Arrow batch")
