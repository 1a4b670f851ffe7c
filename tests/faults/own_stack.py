"""A `prefect-olake up` of a test's own (free ports, own data dir and database), to break."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text

from tests.services import POSTGRES_ADMIN_URL, free_port, require_port
from tests.stack import Stack, _wait_healthy


def _fresh_database(prefix: str) -> str:
    name = f"olake_test_{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@contextmanager
def own_stack(data_dir: Path, prefix: str) -> Iterator[tuple[Stack, subprocess.Popen[bytes]]]:
    """The stack and its `up` process, stopped with SIGTERM (by pid) at the end."""
    require_port("PostgreSQL", 5432)
    data_dir.mkdir(parents=True, exist_ok=True)
    metadata_url = _fresh_database(prefix)
    port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OLAKE_"))}
    env.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        OLAKE_DATABASE_URL=metadata_url,
        OLAKE_SYNC_RETRY_DELAY="1",
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


def worker_pid(up: subprocess.Popen[bytes]) -> int | None:
    """The pid of the stack's worker (a child of `up`), None while there is none."""
    for child in psutil.Process(up.pid).children():
        try:
            if "deployments.worker" in child.cmdline() and child.status() != "zombie":
                return int(child.pid)
        except psutil.NoSuchProcess:
            continue
    return None
