"""Shared fixtures: the API on SQLite and on the real Postgres, and factories for its records."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update

from api.app import create_app
from metadata.db import migrate
from metadata.models import Base, Revision
from metadata.settings import Settings
from tests.services import POSTGRES_ADMIN_URL, require_port

pytest_plugins = ["tests.stack"]

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

PG_TEST_DB = "olake_test_metadata"


def _postgres_url() -> str:
    require_port("PostgreSQL", 5432)
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_TEST_DB}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_TEST_DB}"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Every API test runs twice: SQLite metadata and Postgres metadata, same migrations."""
    data_dir: Path = tmp_path_factory.mktemp(f"olake-{request.param}")
    url = None if request.param == "sqlite" else _postgres_url()
    # Cheap password hashes: the cost is argon2's, not ours, and every test signs users up.
    settings = Settings(
        env="test",
        data_dir=data_dir,
        database_url=url,
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
    )
    migrate(settings.sqlalchemy_url)
    return settings


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


def _truncate(app: FastAPI) -> None:
    # The revision counters stay, bumped: the app (one per session) caches list answers per
    # revision, and these bulk deletes bypass the session hooks that bump them.
    tables = [table for table in Base.metadata.sorted_tables if table.name != "revisions"]
    with app.state.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())
        conn.execute(update(Revision).values(value=Revision.value + 1))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    _truncate(app)
    app.state.rate_limit.reset()
    app.state.login_guard.by_user.reset()
    app.state.login_guard.by_ip.reset()
    with TestClient(app) as client:
        yield client


@pytest.fixture
def anon(app: FastAPI, client: TestClient) -> TestClient:
    """A second client with no cookie, for unauthenticated and cross-user calls."""
    return TestClient(app)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def signup(client: TestClient, username: str | None = None, password: str = "s3cret-pass") -> str:
    username = username or unique("user")
    response = client.post(
        "/signup", json={"username": username, "password": password, "email": f"{username}@x.io"}
    )
    assert response.status_code == 200, response.text
    return username


def login(client: TestClient, username: str, password: str = "s3cret-pass") -> str:
    response = client.post("/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["token"])


@pytest.fixture
def user(client: TestClient) -> str:
    """A signed-up user whose session cookie the client carries."""
    username = signup(client)
    login(client, username)
    return username
