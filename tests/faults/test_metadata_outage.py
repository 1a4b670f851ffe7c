"""The metadata database goes away and comes back: 503 during the outage, nothing lost after.

The outage is real for the API: its Postgres database refuses connections and every live
connection is terminated (the server itself keeps running, so other tests are not disturbed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from metadata.db import migrate
from metadata.settings import Settings
from tests.services import POSTGRES_ADMIN_URL, require_port

DB = "olake_test_outage"


def _admin(sql: str) -> None:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _outage(on: bool) -> None:
    _admin(f"ALTER DATABASE {DB} WITH ALLOW_CONNECTIONS {'false' if on else 'true'}")
    if on:
        _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DB}'")


@pytest.fixture
def pg_client(tmp_path: Path) -> Iterator[TestClient]:
    require_port("PostgreSQL", 5432)
    _admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    _admin(f"CREATE DATABASE {DB}")
    settings = Settings(
        env="test",
        data_dir=tmp_path,
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}",
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
    )
    migrate(settings.sqlalchemy_url)
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        _outage(False)
        app.state.engine.dispose()
        _admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


class TestMetadataOutage:
    def test_503_during_and_recovery_after(self, pg_client: TestClient) -> None:
        pg_client.post("/signup", json={"username": "ops", "password": "pw"})
        pg_client.post("/login", json={"username": "ops", "password": "pw"})
        base = "/api/v1/project/123/destinations"
        config = {"writer": {"local_path": "/tmp/x"}}
        before = pg_client.post(base, json={"name": "before", "type": "parquet", "config": config})
        assert before.status_code == 200

        _outage(True)
        during_write = pg_client.post(
            base, json={"name": "during", "type": "parquet", "config": config}
        )
        during_read = pg_client.get(base)
        assert during_write.status_code == 503 and during_read.status_code == 503
        assert "metadata database is unavailable" in during_read.json()["message"]
        assert (
            pg_client.get("/health/detailed").json()["components"]["database"]["status"] == "down"
        )

        _outage(False)
        # The client retries the write that was refused; nothing else is needed to recover.
        retried = pg_client.post(base, json={"name": "during", "type": "parquet", "config": config})
        assert retried.status_code == 200, retried.text
        names = sorted(row["name"] for row in pg_client.get(base).json()["data"])
        assert names == ["before", "during"]
