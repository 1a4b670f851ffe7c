"""The Postgres source's config (OLake's field names); no driver import here."""

from __future__ import annotations

from pydantic import Field

from connectors.sources._sql_config import SQLConfig


class PostgresConfig(SQLConfig):
    """Where the Postgres database is and which schemas to read."""

    port: int = Field(5432, ge=1, le=65535, description="Database port")
    schemas: list[str] = Field(
        default_factory=lambda: ["public"], min_length=1, description="Schemas to discover"
    )
