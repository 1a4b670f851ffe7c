"""The metadata database restarts: 503 during the outage, nothing lost after.

The outage is a real PostgreSQL restart. The test gets a private cluster of its own
(tests/faults/private_postgres.py: initdb on a free port, never the shared server on 5432),
points the API at it, writes, then shuts the server down with `pg_ctl stop -m fast` (every
connection of the API's pool is cut and the port closes). While it is down every call that
needs the metadata store answers 503 in OLake's envelope, promptly, and the writes tried are
refused, not half-done. Then `pg_ctl start`; the same API (no restart) reads and writes again,
and every write acknowledged before the outage is there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from metadata.db import migrate
from metadata.settings import Settings
from tests.faults.private_postgres import PrivatePostgres, private_postgres

DB = "olake_outage"
BASE = "/api/v1/project/123/destinations"
CONFIG = {"writer": {"local_path": "/tmp/x"}}
BEFORE = ["alpha", "bravo", "charlie"]
# A refused call must come back promptly: the bound is for "does not hang", not for speed.
PROMPT_SECONDS = 10.0
UNAVAILABLE = "metadata database is unavailable"


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as cluster:
        yield cluster


@pytest.fixture
def pg_client(cluster: PrivatePostgres, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        env="test",
        data_dir=tmp_path,
        database_url=cluster.create_database(DB),
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
    )
    migrate(settings.sqlalchemy_url)
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


def prompt(call: Callable[[], httpx.Response]) -> httpx.Response:
    started = time.monotonic()
    response = call()
    elapsed = time.monotonic() - started
    assert elapsed < PROMPT_SECONDS, f"call took {elapsed:.1f}s: it hangs on the dead database"
    return response


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["success"] is False
    assert UNAVAILABLE in body["message"]


def stored_names(url: str) -> list[str]:
    """What the database itself holds, read past the API."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name FROM destinations ORDER BY name"))
            return [str(row[0]) for row in rows]
    finally:
        engine.dispose()


def listed_names(client: TestClient) -> list[str]:
    response = client.get(BASE)
    assert response.status_code == 200, response.text
    return sorted(row["name"] for row in response.json()["data"])


class TestMetadataOutage:
    def test_503_during_and_recovery_after(
        self, cluster: PrivatePostgres, pg_client: TestClient
    ) -> None:
        assert pg_client.post("/signup", json={"username": "ops", "password": "pw"}).is_success
        assert pg_client.post("/login", json={"username": "ops", "password": "pw"}).is_success
        ids = {}
        for name in BEFORE:
            created = pg_client.post(BASE, json={"name": name, "type": "parquet", "config": CONFIG})
            assert created.status_code == 200, created.text
            ids[name] = created.json()["data"]["id"]
        assert listed_names(pg_client) == BEFORE

        cluster.stop()  # a real shutdown: the pool's connections are cut, the port closes
        assert not cluster.running()

        during = {
            "create": prompt(
                lambda: pg_client.post(
                    BASE, json={"name": "during", "type": "parquet", "config": CONFIG}
                )
            ),
            "update": prompt(
                lambda: pg_client.put(
                    f"{BASE}/{ids['alpha']}",
                    json={"name": "alpha-renamed", "type": "parquet", "config": CONFIG},
                )
            ),
            "delete": prompt(lambda: pg_client.delete(f"{BASE}/{ids['bravo']}")),
            "list": prompt(lambda: pg_client.get(BASE)),
            "read": prompt(lambda: pg_client.get(f"{BASE}/{ids['charlie']}")),
            "login": prompt(
                lambda: pg_client.post("/login", json={"username": "ops", "password": "pw"})
            ),
        }
        for response in during.values():
            assert_unavailable(response)
        health = prompt(lambda: pg_client.get("/health/detailed"))
        assert health.status_code == 503
        assert health.json()["components"]["database"]["status"] == "down"
        assert prompt(lambda: pg_client.get("/health")).status_code == 200

        cluster.start()

        # The same API, not restarted: the session cookie from before still works, and the
        # refused writes left nothing behind (no "during", alpha not renamed, bravo not gone).
        assert listed_names(pg_client) == BEFORE
        assert stored_names(cluster.url(DB)) == BEFORE
        assert pg_client.get("/health/detailed").json()["components"]["database"]["status"] == "up"

        # The client retries the write that was refused; nothing else is needed to recover.
        retried = pg_client.post(BASE, json={"name": "during", "type": "parquet", "config": CONFIG})
        assert retried.status_code == 200, retried.text
        after = pg_client.post(BASE, json={"name": "after", "type": "parquet", "config": CONFIG})
        assert after.status_code == 200, after.text
        expected = sorted([*BEFORE, "during", "after"])
        assert listed_names(pg_client) == expected
        assert stored_names(cluster.url(DB)) == expected
