"""The real services the tests use: addresses, and a clear failure when one is down."""

from __future__ import annotations

import socket
from typing import Any

import pytest

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_source(schema: str | None = None, **options: Any) -> dict[str, Any]:
    """This machine's Postgres (`test` database, trust auth) as a source config."""
    config: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 5432,
        "database": "test",
        "username": "postgres",
    }
    if schema is not None:
        config["schemas"] = [schema]
    return {**config, **options}


START_HINTS = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "MariaDB": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
}


def require_port(name: str, port: int, host: str = "127.0.0.1") -> None:
    """Fail (never skip) with the command that starts the service."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        pytest.fail(
            f"{name} is not reachable on {host}:{port} ({exc}); start it with: "
            f"{START_HINTS.get(name, 'see the env entry of the tool library')}",
            pytrace=False,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
