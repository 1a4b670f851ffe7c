"""Config fields every SQL source shares (OLake's names); imports pydantic and nothing heavy."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from connectors.spec import ConnectorConfig, secret_field


class SSLConfig(BaseModel):
    """TLS to the database, in libpq's vocabulary (MySQL maps it onto its own options)."""

    mode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = Field(
        default="disable",
        description="disable, require (encrypt, trust any certificate), or verify-*",
    )
    server_ca: str | None = Field(
        default=None, description="PEM file of the CA that signed the server"
    )
    client_cert: str | None = Field(default=None, description="PEM file of the client certificate")
    client_key: str | None = secret_field(None, description="PEM file of the client key")


class SQLConfig(ConnectorConfig):
    """Connection and tuning fields shared by the SQL sources."""

    host: str = Field(..., description="Database host name or IP address")
    port: int = Field(..., ge=1, le=65535, description="Database port")
    database: str = Field(..., min_length=1, description="Database to read")
    username: str = Field(..., min_length=1, description="User to connect as")
    password: str = secret_field("", description="Password of that user")
    ssl: SSLConfig = Field(default_factory=lambda: SSLConfig(), description="TLS settings")
    max_threads: int = Field(2, ge=1, le=64, description="Chunks read in parallel")
    connect_timeout: int = Field(10, ge=1, le=600, description="Seconds to wait for a connection")
    chunk_size: int = Field(
        500_000, ge=1, description="Rows per chunk: the unit of parallelism and of resume"
    )
    batch_size: int = Field(100_000, ge=1, description="Target rows per Arrow batch")
