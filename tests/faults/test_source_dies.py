"""The source's backend is terminated mid-read: a transient error, a retry, no partial file."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from connectors import runner
from connectors.catalog import configured_streams
from connectors.errors import ConnectorError, ErrorKind
from tests.conftest import unique
from tests.services import pg_source
from tests.stack import BASE, Stack, api_client, pg_execute, prefect_client, sync, wait_for_task

SCHEMA = "fault_src"
ROWS = 600_000
# Many small chunks on one thread: the read lasts a few seconds, long enough to cut it.
SOURCE = pg_source(SCHEMA, chunk_size=10_000, max_threads=1)


def seed() -> None:
    pg_execute(
        f"""
        DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
        CREATE SCHEMA {SCHEMA};
        CREATE TABLE {SCHEMA}.events (id bigint PRIMARY KEY, pad text NOT NULL);
        INSERT INTO {SCHEMA}.events SELECT g, repeat('x', 100) FROM generate_series(1, {ROWS}) g;
        ANALYZE {SCHEMA}.events;
        """
    )


def terminate_reader(timeout: float = 60.0, table: str = f"{SCHEMA}%events") -> int:
    """Terminate the backend copying `table` (an ILIKE pattern) as soon as it shows; its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = pg_execute(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'prefect-olake' AND state = 'active'"
            f" AND query ILIKE '%{table}%' AND query NOT ILIKE '%pg_stat_activity%'"
        )
        if rows:
            return int(rows[0][0])
        time.sleep(0.02)
    raise AssertionError("the copy of the table never started")


class FolderWatch:
    """Samples what a reader of the stream's folder sees, until stopped."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.seen, self.stop = folder, set[int](), threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            if self.folder.exists():
                self.seen.add(ds.dataset(self.folder, format="parquet").count_rows())
            time.sleep(0.02)


@pytest.fixture(scope="module")
def seeded() -> Iterator[None]:
    seed()
    yield
    pg_execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def test_terminated_backend_is_a_transient_error(seeded: None) -> None:
    catalog = runner.discover("postgres", None, SOURCE)
    stream = configured_streams(catalog)[0]
    killer = threading.Thread(target=terminate_reader, daemon=True)
    killer.start()
    with pytest.raises(ConnectorError) as caught:
        for _item in runner.read("postgres", None, SOURCE, stream):
            pass
    killer.join(5)
    assert caught.value.kind is ErrorKind.TRANSIENT, caught.value.internal_message
    assert "terminating connection" in caught.value.internal_message


def task_runs(stack: Stack, run_id: str) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with prefect_client(stack) as prefect:
        return list(
            prefect.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id)]))
            )
        )


@pytest.mark.prefect
def test_run_is_retried_and_leaves_no_partial_file(
    prefect_stack: Stack, seeded: None, tmp_path: Path
) -> None:
    client = api_client(prefect_stack)
    catalog = runner.discover("postgres", None, SOURCE)  # full refresh: replaced at commit
    body = {
        "name": unique("events"),
        "source": {"name": unique("pg"), "type": "postgres", "config": SOURCE},
        "destination": {
            "name": unique("pq"),
            "type": "parquet",
            "config": {"type": "PARQUET", "writer": {"local_path": str(tmp_path)}},
        },
        "frequency": "0 0 1 1 *",
        "streams_config": json.dumps(catalog),
    }
    response = client.post(f"{BASE}/jobs", json=body)
    assert response.status_code == 200, response.text
    job = response.json()["data"]
    folder = tmp_path / SCHEMA / "events"
    watch = FolderWatch(folder)
    watch.thread.start()
    try:
        run_id = sync(client, job["id"])
        terminate_reader()
        run = wait_for_task(
            client, job["id"], {"Completed", "Failed", "Canceled"}, run_id=run_id, timeout=90
        )
    finally:
        watch.stop.set()
        watch.thread.join(5)
    assert run["status"] == "Completed", run

    streams = [t for t in task_runs(prefect_stack, run_id) if t.name == f"{SCHEMA}.events"]
    assert len(streams) == 1 and streams[0].run_count == 2, streams  # failed once, retried once
    deadline = time.monotonic() + 10  # logs are sent before the end; margin for a slow server
    while True:
        path = f"{BASE}/jobs/{job['id']}/task/{run_id}/logs"
        text = "\n".join(m["message"] for m in client.get(path).json()["data"]["task_logs"])
        if ("connection lost" in text and "Retry 1/" in text) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "connection lost" in text and "Retry 1/" in text, text[-2000:]
    client.close()

    # A reader never saw a partial table: no folder, then the whole one.
    assert watch.seen <= {ROWS}, watch.seen
    leftovers = [p.name for p in tmp_path.rglob(".*")]
    assert leftovers == [], leftovers  # no .tmp-* file, no staging or old folder
    ids = ds.dataset(folder, format="parquet").to_table(columns=["id"]).column("id")
    assert len(ids) == ROWS and pc.count_distinct(ids).as_py() == ROWS
    assert pc.sum(ids).as_py() == ROWS * (ROWS + 1) // 2
