"""One pydantic-settings class for the whole system (prefix OLAKE_), built by get_settings()."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_KEY_FILE = "secret.key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OLAKE_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development", description="production refuses to start without an explicit secret key"
    )
    data_dir: Path = Field(Path(".olake"), description="Where SQLite files, keys and logs live")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the metadata store; default SQLite in the data dir. "
        "Postgres: postgresql+psycopg://user@host/db",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs tokens and encrypts secrets at rest. Generated and kept in the data "
        "dir on the embedded default; required when OLAKE_ENV=production",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"],
        description="Origins allowed by CORS (comma-separated in the environment)",
    )
    cookie_name: str = Field("olake-session", description="Name of the session cookie")
    cookie_secure: bool = Field(False, description="Send the session cookie over HTTPS only")
    cookie_samesite: Literal["lax", "strict", "none"] = Field("lax", description="SameSite")
    session_days: int = Field(30, ge=1, description="Lifetime of a session cookie and token")
    default_project_id: str = Field("olake", description="The project every user belongs to")
    default_project_aliases: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["123"],
        description="Other ids the default project answers to (OLake's UI uses 123)",
    )
    password_hash_memory_kib: int = Field(
        65536, ge=1024, description="Argon2 memory cost of password hashes (KiB)"
    )
    password_hash_time_cost: int = Field(3, ge=1, description="Argon2 iterations")
    api_workers: int = Field(
        1,
        ge=1,
        le=16,
        description="API processes under prefect-olake up. One serves the polled lists at "
        "thousands of requests/s and leaves the other core to syncs; with more, rate and "
        "login limits are counted per process, each enforcing its share",
    )
    rate_limit_per_minute: int = Field(
        600, ge=1, description="Requests a client (session, else IP) may make per minute"
    )
    login_failures_per_user: int = Field(10, ge=1, description="Failed logins per user a window")
    login_failures_per_ip: int = Field(50, ge=1, description="Failed logins per IP a window")
    login_window_seconds: int = Field(300, ge=1, description="Window of the login limits")
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest request body")
    connector_host_denylist: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "169.254.0.0/16",
            "fe80::/10",
            "fd00:ec2::254/128",
            "100.100.100.200/32",
            "metadata.google.internal",
            "metadata",
        ],
        description="Networks and host names connectors may not reach (link-local, cloud "
        "metadata); comma-separated in the environment",
    )
    ui_dir: Path | None = Field(
        None, description="A built single-page app (e.g. OLake's UI) to serve from the API origin"
    )
    work_pool: str = Field("olake", description="Default Prefect work pool of job deployments")
    connector_timeout: float = Field(10.0, gt=0, description="Seconds a connection check may take")
    prefect_enabled: bool | None = Field(
        None,
        description="Keep a Prefect deployment per job and run jobs through it; default: on, "
        "except when OLAKE_ENV=test (API tests without a Prefect server)",
    )
    sync_retries: int = Field(
        2, ge=0, le=20, description="Retries of a stream after a transient connector error"
    )
    sync_retry_delay: float = Field(
        10.0, ge=0, description="Seconds between the retries of a stream"
    )
    max_parallel_streams: int = Field(
        4, ge=1, le=64, description="Streams of one job synced at once (a job may set fewer)"
    )
    max_name_length: int = Field(255, description="Longest accepted name of a resource")

    @field_validator(
        "cors_origins", "default_project_aliases", "connector_host_denylist", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production" and (
            self.secret_key is None or len(self.secret_key.get_secret_value()) < 32
        ):
            raise ValueError(
                "OLAKE_SECRET_KEY (32+ characters) is required when OLAKE_ENV=production"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'metadata.db').resolve()}"

    def secret_key_value(self) -> str:
        """The configured key, or one generated once and kept in the data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def per_process(self, limit: int) -> int:
        """A limit's share in one API process: together the processes never allow more."""
        return max(1, limit // self.api_workers)

    def project_ids(self) -> set[str]:
        return {self.default_project_id, *self.default_project_aliases}


@lru_cache
def get_settings() -> Settings:
    return Settings()
