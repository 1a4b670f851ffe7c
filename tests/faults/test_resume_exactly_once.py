"""A parallel incremental read cut mid-way: files match the last state; the resume adds the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from connectors import runner
from connectors.catalog import configured_streams
from connectors.errors import ConnectorError, ErrorKind
from tests.faults.test_worker_kill import rows_in
from tests.services import pg_source
from tests.stack import pg_execute

SCHEMA = "fault_resume"
ROWS = 600_000
# Two threads reading chunks of several batches (ADBC sends about 1 MB each): their batches
# would interleave if nothing kept them apart.
SOURCE = pg_source(SCHEMA, chunk_size=60_000, max_threads=2, batch_size=1_000)


@pytest.fixture
def stream() -> Any:
    pg_execute(
        f"""
        DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
        CREATE SCHEMA {SCHEMA};
        CREATE TABLE {SCHEMA}.big (id bigint PRIMARY KEY, pad text NOT NULL);
        INSERT INTO {SCHEMA}.big SELECT g, repeat('y', 100) FROM generate_series(1, {ROWS}) g;
        ANALYZE {SCHEMA}.big;
        """
    )
    catalog = runner.discover("postgres", None, SOURCE)
    for item in catalog["streams"]:
        item["stream"].update(sync_mode="incremental", cursor_field="id")
    yield configured_streams(catalog)[0]
    pg_execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def sync(stream: Any, out: Path, state: dict[str, Any] | None, on_checkpoint: Any) -> Any:
    return runner.sync_stream(
        source_type="postgres",
        source_version=None,
        source_config=SOURCE,
        destination_type="parquet",
        destination_version=None,
        destination_config={"local_path": str(out), "max_file_rows": 15_000},
        stream=stream,
        state=state,
        on_checkpoint=on_checkpoint,
    )


def cut_readers() -> None:
    """Terminate the chunk readers' backends, busy or idle between two chunks."""
    killed = pg_execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'prefect-olake' AND query ILIKE 'COPY%'"
        f" AND query ILIKE '%{SCHEMA}%big%'"
    )
    assert killed, "no chunk reader to cut"


def visible_ids(out: Path) -> Any:
    folder = out / SCHEMA / "big"
    return ds.dataset(folder, format="parquet").to_table(columns=["id"]).column("id")


def test_cut_read_resumes_without_loss_or_duplicate(stream: Any, tmp_path: Path) -> None:
    states: list[dict[str, Any]] = []

    def on_checkpoint(state: dict[str, Any]) -> None:
        states.append(state)
        if len(states) == 3:  # the reader threads are mid-chunk or between two
            cut_readers()

    with pytest.raises(ConnectorError) as caught:
        sync(stream, tmp_path, None, on_checkpoint)
    assert caught.value.kind is ErrorKind.TRANSIENT, caught.value.internal_message

    # The files hold exactly the chunks the last state calls done, nothing of the others.
    last = states[-1]
    remaining = rows_in(last["chunks"], f"{SCHEMA}.big")
    assert 0 < remaining < ROWS
    assert len(visible_ids(tmp_path)) == ROWS - remaining
    assert not list(tmp_path.rglob(".tmp-*"))

    resumed = sync(stream, tmp_path, last, lambda _state: None)
    assert resumed.rows == remaining and resumed.state == {"cursor_field": "id", "cursor": ROWS}
    ids = visible_ids(tmp_path)
    assert len(ids) == ROWS and pc.count_distinct(ids).as_py() == ROWS
    assert pc.sum(ids).as_py() == ROWS * (ROWS + 1) // 2


class Died(Exception):
    """The run's process ending at this very line (a SIGKILL, simulated where it hurts most)."""


@pytest.mark.parametrize("state_committed", [False, True], ids=["before-commit", "after-commit"])
def test_death_at_a_checkpoint_neither_loses_nor_duplicates(
    stream: Any, tmp_path: Path, state_committed: bool
) -> None:
    committed: list[dict[str, Any]] = []

    def on_checkpoint(state: dict[str, Any]) -> None:
        if len(committed) == 2 and not state_committed:
            raise Died  # staged, not committed: those files must never show
        committed.append(state)
        if len(committed) == 3:
            raise Died  # committed, not published: the next run must publish them

    with pytest.raises(Died):
        sync(stream, tmp_path, None, on_checkpoint)
    last = committed[-1]
    assert bool(last.get("staged")) and len(committed) == (3 if state_committed else 2)
    resumed = sync(stream, tmp_path, last, lambda _state: None)
    assert resumed.rows == rows_in(last["chunks"], f"{SCHEMA}.big")
    ids = visible_ids(tmp_path)
    assert len(ids) == ROWS and pc.count_distinct(ids).as_py() == ROWS
    assert pc.sum(ids).as_py() == ROWS * (ROWS + 1) // 2
