"""A real stack for the tests: `prefect-olake up` on free ports, Postgres metadata, temp data.

Registered as a plugin (`pytest_plugins = ["tests.stack"]` in tests/conftest.py), so one
stack serves the whole session. It is stopped with SIGTERM by pid, as a person would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.services import POSTGRES_ADMIN_URL, free_port, require_port

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

PG_TEST_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START_TIMEOUT = 150.0


@dataclass(frozen=True)
class Stack:
    api_url: str
    prefect_api_url: str
    data_dir: Path
    metadata_url: str

    def log(self, name: str, lines: int = 40) -> str:
        path = self.data_dir / "logs" / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _metadata_db(prefix: str = "e2e") -> str:
    """A fresh database per stack kind and per xdist worker."""
    name = f"olake_test_{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _wait_healthy(url: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prefect-olake up exited ({process.returncode}):\n{output.read_text()}")
        try:
            response = httpx.get(f"{url}/health/detailed", timeout=5)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    pytest.fail(f"the stack was not healthy after {START_TIMEOUT:.0f} s: {last}")


@contextmanager
def running_stack(
    data_dir: Path, prefix: str = "e2e"
) -> Iterator[tuple[Stack, subprocess.Popen[bytes]]]:
    """API, Prefect server and a worker as `prefect-olake up` starts them, on free ports and
    a fresh Postgres metadata database; stopped with SIGTERM by pid at the end."""
    require_port("PostgreSQL", 5432)
    data_dir.mkdir(parents=True, exist_ok=True)
    metadata_url = _metadata_db(prefix)
    port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OLAKE_"))}
    env.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        OLAKE_DATABASE_URL=metadata_url,
        OLAKE_SYNC_RETRY_DELAY="1",
        # No httpfs (OpenSSL) for DuckDB here: encrypted DuckDB files are written with mbedTLS.
        OLAKE_DUCKDB_FORCE_MBEDTLS_UNSAFE="1",
    )
    output = data_dir / "up.log"
    argv = [sys.executable, "-m", "deployments.cli", "up", "--data-dir", str(data_dir)]
    argv += ["--port", str(port), "--prefect-port", str(prefect_port)]
    with output.open("wb") as out:
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    stack = Stack(
        api_url=f"http://127.0.0.1:{port}",
        prefect_api_url=f"http://127.0.0.1:{prefect_port}/api",
        data_dir=data_dir,
        metadata_url=metadata_url,
    )
    try:
        _wait_healthy(stack.api_url, process, output)
        yield stack, process
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture(scope="session")
def prefect_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack for the whole session."""
    with running_stack(tmp_path_factory.mktemp("stack")) as (stack, _):
        yield stack


@contextmanager
def prefect_client(stack: Stack) -> Iterator[SyncPrefectClient]:
    """A Prefect client for the stack's server, whatever this process's settings say."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: stack.prefect_api_url}),
        get_client(sync_client=True) as client,
    ):
        yield client


def pg_execute(sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Run SQL on the `test` database (autocommit); rows when it returns any."""
    engine = create_engine(PG_TEST_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params or {})
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


BASE = "/api/v1/project/123"
FINAL = {"Completed", "Failed", "Canceled"}


def api_client(stack: Stack) -> httpx.Client:
    """A client of the stack's API, signed up and logged in as a fresh user."""
    from tests.conftest import login, signup

    client = httpx.Client(base_url=stack.api_url, timeout=30)
    login(client, signup(client))  # type: ignore[arg-type]
    return client


def tasks(client: httpx.Client, job_id: int) -> list[dict[str, Any]]:
    response = client.get(f"{BASE}/jobs/{job_id}/tasks")
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def wait_for_task(
    client: httpx.Client,
    job_id: int,
    statuses: set[str],
    *,
    run_id: str | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Poll the job's tasks until its newest run (or `run_id`) reaches one of `statuses`."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        seen = tasks(client, job_id)
        run = next((t for t in seen if t["id"] == run_id), None) if run_id else None
        run = run or (seen[0] if seen and not run_id else None)
        if run is not None and run["status"] in statuses:
            return run
        time.sleep(0.3)
    raise AssertionError(f"no run of job {job_id} reached {statuses} in {timeout} s: {seen}")


def sync(client: httpx.Client, job_id: int) -> str:
    """Start a run now; its flow run id."""
    response = client.post(f"{BASE}/jobs/{job_id}/sync")
    assert response.status_code == 200, response.text
    message = response.json()["message"]
    return str(message.split("run ")[-1].rstrip(")"))


def sync_and_wait(client: httpx.Client, job_id: int, timeout: float = 60.0) -> dict[str, Any]:
    run_id = sync(client, job_id)
    return wait_for_task(client, job_id, FINAL, run_id=run_id, timeout=timeout)
