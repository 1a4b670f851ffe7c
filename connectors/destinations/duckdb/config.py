"""Config of the duckdb destination; imports pydantic and nothing heavy."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from connectors.spec import ConnectorConfig, secret_field


class DuckDBConfig(ConnectorConfig):
    """A DuckDB database file (`db_path`, also accepted as `path`), encrypted when keyed."""

    db_path: str = Field(
        ...,
        min_length=1,
        validation_alias=AliasChoices("db_path", "path"),
        title="Database file",
        description="Path of the DuckDB file; created when missing",
    )
    schema_name: str | None = Field(
        None,
        validation_alias=AliasChoices("schema", "schema_name"),
        title="Schema",
        description="Schema for the tables; default: the stream's namespace, else main",
    )
    table_name: str | None = Field(
        None, title="Table name", description="Table for a single-stream job (orc-rust-ator)"
    )
    encryption_key: str | None = secret_field(
        None,
        title="Encryption key",
        description="Encrypts the database file at rest (AES-GCM); every reader needs it."
        " Empty: not encrypted. A file cannot switch between encrypted and not",
    )
