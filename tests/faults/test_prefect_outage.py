"""The Prefect server stops while the API is up: 503 with a clear message, then recovery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from deployments.pools import ensure_work_pool
from metadata.db import migrate
from metadata.settings import Settings
from tests.services import free_port, pg_source

PG_CONFIG = pg_source()


class PrefectServer:
    """A Prefect server of this test's own, on SQLite, that can be stopped and started again."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{self.home / 'prefect.db'}",
        )
        prefect = str(Path(sys.executable).parent / "prefect")
        self.process = subprocess.Popen(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise AssertionError("the test's Prefect server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[tuple[TestClient, PrefectServer]]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = PrefectServer(tmp_path / "prefect")
    server.start()
    settings = Settings(
        env="test",
        data_dir=tmp_path / "data",
        prefect_enabled=True,
        work_pool="outage-no-worker",
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
    )
    migrate(settings.sqlalchemy_url)
    try:
        with (
            temporary_settings(updates={PREFECT_API_URL: server.url}),
            TestClient(create_app(settings)) as client,
        ):
            asyncio.run(ensure_work_pool(settings.work_pool))
            client.post("/signup", json={"username": "ops", "password": "pw"})
            client.post("/login", json={"username": "ops", "password": "pw"})
            yield client, server
    finally:
        server.stop()


class TestPrefectOutage:
    def test_503_then_recovery_without_restart(
        self, outage: tuple[TestClient, PrefectServer]
    ) -> None:
        client, server = outage
        base = "/api/v1/project/123"
        job = {
            "name": "nightly",
            "source": {"name": "pg", "type": "postgres", "config": PG_CONFIG},
            "destination": {"name": "lake", "type": "parquet", "config": {"local_path": "/tmp/l"}},
            "frequency": "0 2 * * *",
        }
        created = client.post(f"{base}/jobs", json=job)
        assert created.status_code == 200, created.text
        job_id = created.json()["data"]["id"]

        server.stop()
        started = time.monotonic()
        for method, path in (("POST", f"/jobs/{job_id}/sync"), ("GET", f"/jobs/{job_id}/tasks")):
            response = client.request(method, base + path)
            assert response.status_code == 503, response.text
            assert "Prefect is unavailable" in response.json()["message"]
        assert time.monotonic() - started < 60  # answered, not hung
        # What needs only the metadata store keeps working.
        assert client.get(f"{base}/jobs").status_code == 200

        server.start()
        response = client.post(f"{base}/jobs/{job_id}/sync")
        assert response.status_code == 200, response.text
        tasks = client.get(f"{base}/jobs/{job_id}/tasks")
        assert tasks.status_code == 200 and len(tasks.json()["data"]) == 1
