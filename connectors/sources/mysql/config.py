"""The MySQL/MariaDB source's config (OLake's field names); no driver import here."""

from __future__ import annotations

from pydantic import Field

from connectors.sources._sql_config import SQLConfig


class MySQLConfig(SQLConfig):
    """Where the MySQL database is; the database is the one namespace read."""

    port: int = Field(3306, ge=1, le=65535, description="Database port")
