"""SIGKILL the worker mid-sync: the run ends Crashed, and the next run resumes exactly once."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest
from sqlalchemy import create_engine, text

from connectors import runner
from tests.conftest import unique
from tests.faults.own_stack import own_stack, worker_pid
from tests.services import pg_source
from tests.stack import (
    BASE,
    FINAL,
    Stack,
    api_client,
    pg_execute,
    prefect_client,
    sync,
    sync_and_wait,
    wait_for_task,
)

SCHEMA = "fault_kill"
ROWS = 2_000_000
# Small chunks read one at a time: hundreds of checkpoints, so the kill lands between two.
SOURCE = pg_source(SCHEMA, chunk_size=5_000, max_threads=1)


def seed() -> None:
    pg_execute(
        f"""
        DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
        CREATE SCHEMA {SCHEMA};
        CREATE TABLE {SCHEMA}.big (id bigint PRIMARY KEY, v int NOT NULL);
        INSERT INTO {SCHEMA}.big SELECT g, g % 997 FROM generate_series(1, {ROWS}) g;
        ANALYZE {SCHEMA}.big;
        """
    )


def make_job(client: Any, out: Path) -> dict[str, Any]:
    catalog = runner.discover("postgres", None, SOURCE)
    for item in catalog["streams"]:
        item["stream"].update(sync_mode="incremental", cursor_field="id")
    body = {
        "name": unique("big"),
        "source": {"name": unique("pg"), "type": "postgres", "config": SOURCE},
        "destination": {
            "name": unique("pq"),
            "type": "parquet",
            "config": {"type": "PARQUET", "writer": {"local_path": str(out)}},
        },
        "frequency": "0 0 1 1 *",
        "streams_config": json.dumps(catalog),
    }
    response = client.post(f"{BASE}/jobs", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def committed_state(stack: Stack) -> dict[str, Any] | None:
    engine = create_engine(stack.metadata_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT state FROM job_states")).first()
    finally:
        engine.dispose()
    return None if row is None else dict(row[0])


def rows_in(chunks: list[dict[str, Any]], table: str = f"{SCHEMA}.big") -> int:
    """Rows of `table` inside some ctid page chunks of the Postgres source."""
    total = 0
    for chunk in chunks:
        start, end = chunk["pages"]
        upper = f" AND ctid < '({int(end)},0)'::tid" if end is not None else ""
        sql = f"SELECT count(*) FROM {table} WHERE ctid >= '({int(start)},0)'::tid{upper}"
        total += int(pg_execute(sql)[0][0])
    return total


def visible_ids(out: Path) -> Any:
    """The id column of every file a reader sees (hidden `.tmp-*` files are skipped)."""
    folder = out / SCHEMA / "big"
    if not folder.exists():
        return None
    return ds.dataset(folder, format="parquet").to_table(columns=["id"]).column("id")


def written_rows(out: Path, staged: list[str]) -> int:
    folder = out / SCHEMA / "big"
    ids = visible_ids(out)
    hidden = [str(folder / name) for name in staged if (folder / name).exists()]
    return (0 if ids is None else len(ids)) + (
        ds.dataset(hidden, format="parquet").count_rows() if hidden else 0
    )


def wait_mid_sync(stack: Stack, timeout: float = 60.0) -> dict[str, Any]:
    """The first committed state with a fifth or more of the chunks done, and some left."""
    deadline = time.monotonic() + timeout
    total = None
    while time.monotonic() < deadline:
        state = committed_state(stack)
        chunks = (state or {}).get("chunks")
        if chunks:
            total = total or len(chunks) + 1
            if len(chunks) <= total * 0.8:
                return dict(state or {})
        elif state and "cursor" in state:
            pytest.fail(f"the sync finished before the kill: {state}")
        time.sleep(0.03)
    raise AssertionError(f"no mid-sync state within {timeout} s: {committed_state(stack)}")


def artifact_rows(stack: Stack, run_id: str) -> int:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with prefect_client(stack) as prefect:
        found = prefect.read_artifacts(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id)]))
        )
    tables = [a.data for a in found if a.key and a.key.startswith("olake-job-")]
    assert tables, f"run {run_id} published no artifact"
    data = json.loads(tables[0]) if isinstance(tables[0], str) else tables[0]
    return sum(int(row["rows"]) for row in data)


@pytest.mark.prefect
def test_killed_worker_crashes_the_run_and_the_next_run_resumes(tmp_path: Path) -> None:
    seed()
    out = tmp_path / "parquet"
    with own_stack(tmp_path / "stack", "faults_kill") as (stack, up):
        client = api_client(stack)
        job = make_job(client, out)
        first = sync(client, job["id"])
        wait_mid_sync(stack)
        old_worker = worker_pid(up)
        assert old_worker is not None
        os.kill(old_worker, signal.SIGKILL)

        # The run dies with its worker; the restarted worker marks it Crashed.
        run = wait_for_task(client, job["id"], FINAL, run_id=first, timeout=60)
        assert run["status"] == "Failed", run
        with prefect_client(stack) as prefect:
            state = prefect.read_flow_run(UUID(first)).state
        assert state is not None and state.type.value == "CRASHED", state
        assert worker_pid(up) not in (None, old_worker), stack.log("worker")
        assert up.poll() is None, "the stack stopped with its worker"

        # The files hold exactly what the committed state says was written: the visible ones,
        # and the staged ones it names (when the kill fell between its commit and their rename).
        left = committed_state(stack)
        assert left is not None and left.get("chunks"), left
        remaining = rows_in(left["chunks"])
        assert 0 < remaining < ROWS
        assert written_rows(out, left.get("staged", [])) == ROWS - remaining

        second = sync_and_wait(client, job["id"], timeout=90)
        assert second["status"] == "Completed", second
        assert artifact_rows(stack, second["id"]) == remaining  # resumed, not read again
        final = committed_state(stack)
        assert final == {"cursor_field": "id", "cursor": ROWS}
        client.close()

    ids = visible_ids(out)
    assert ids is not None and len(ids) == ROWS
    assert pc.count_distinct(ids).as_py() == ROWS
    assert pc.sum(ids).as_py() == ROWS * (ROWS + 1) // 2
    assert pc.min(ids).as_py() == 1 and pc.max(ids).as_py() == ROWS
