"""A parallel incremental read cut mid-way: the destination matches the last state; the resume
adds the rest, on Parquet files and on DuckDB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from connectors import runner
from connectors.catalog import configured_streams
from connectors.destinations.duckdb.destination import chunks_of
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


@dataclass(frozen=True)
class Lake:
    """A destination under test: its config in a folder, the ids readers see, what is left."""

    type: str
    config: Callable[[Path], dict[str, Any]]
    ids: Callable[[Path], Any]
    leftovers: Callable[[Path], list[str]]  # staged data nobody will publish
    keyed: bool = True  # False: the stream is written with no primary key (plain appends)
    # Whether the next write drops staged data no committed state names; Parquet leaves such
    # hidden files for a day (they may belong to a live run).
    drops_orphans: bool = False


def _duckdb_ids(out: Path) -> Any:
    with duckdb.connect(str(out / "lake.duckdb")) as con:
        return con.sql(f"SELECT id FROM {SCHEMA}.big").to_arrow_table().column("id")


def _duckdb_chunks(out: Path) -> list[str]:
    with duckdb.connect(str(out / "lake.duckdb")) as con:
        return chunks_of(con, SCHEMA, "big")


LAKES = {
    "parquet": Lake(
        "parquet",
        lambda out: {"local_path": str(out), "max_file_rows": 15_000},
        lambda out: (
            ds.dataset(out / SCHEMA / "big", format="parquet").to_table(columns=["id"]).column("id")
        ),
        lambda out: [str(path) for path in out.rglob(".tmp-*")],
    ),
    # Keyed: upserts, which a resume may repeat harmlessly.
    "duckdb": Lake(
        "duckdb", lambda out: {"db_path": str(out / "lake.duckdb")}, _duckdb_ids, _duckdb_chunks
    ),
    # Plain appends: through chunk tables, staged and published like Parquet's files.
    "duckdb-append": Lake(
        "duckdb",
        lambda out: {"db_path": str(out / "lake.duckdb")},
        _duckdb_ids,
        _duckdb_chunks,
        keyed=False,
        drops_orphans=True,
    ),
}


@pytest.fixture(params=sorted(LAKES))
def lake(request: pytest.FixtureRequest) -> Lake:
    return LAKES[request.param]


def sync(
    lake: Lake, stream: Any, out: Path, state: dict[str, Any] | None, on_checkpoint: Any
) -> Any:
    return runner.sync_stream(
        source_type="postgres",
        source_version=None,
        source_config=SOURCE,
        destination_type=lake.type,
        destination_version=None,
        destination_config=lake.config(out),
        stream=stream if lake.keyed else replace(stream, primary_key=[]),
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


def test_cut_read_resumes_without_loss_or_duplicate(
    lake: Lake, stream: Any, tmp_path: Path
) -> None:
    states: list[dict[str, Any]] = []

    def on_checkpoint(state: dict[str, Any]) -> None:
        states.append(state)
        if len(states) == 3:  # the reader threads are mid-chunk or between two
            cut_readers()

    with pytest.raises(ConnectorError) as caught:
        sync(lake, stream, tmp_path, None, on_checkpoint)
    assert caught.value.kind is ErrorKind.TRANSIENT, caught.value.internal_message

    # The files hold exactly the chunks the last state calls done, nothing of the others.
    last = states[-1]
    remaining = rows_in(last["chunks"], f"{SCHEMA}.big")
    assert 0 < remaining < ROWS
    assert len(lake.ids(tmp_path)) == ROWS - remaining
    assert not lake.leftovers(tmp_path)

    resumed = sync(lake, stream, tmp_path, last, lambda _state: None)
    assert resumed.rows == remaining and resumed.state == {"cursor_field": "id", "cursor": ROWS}
    ids = lake.ids(tmp_path)
    assert len(ids) == ROWS and pc.count_distinct(ids).as_py() == ROWS
    assert pc.sum(ids).as_py() == ROWS * (ROWS + 1) // 2


class Died(Exception):
    """The run's process ending at this very line (a SIGKILL, simulated where it hurts most)."""


@pytest.mark.parametrize("state_committed", [False, True], ids=["before-commit", "after-commit"])
def test_death_at_a_checkpoint_neither_loses_nor_duplicates(
    lake: Lake, stream: Any, tmp_path: Path, state_committed: bool
) -> None:
    committed: list[dict[str, Any]] = []

    def on_checkpoint(state: dict[str, Any]) -> None:
        if len(committed) == 2 and not state_committed:
            raise Died  # staged, not committed: those files must never show
        committed.append(state)
        if len(committed) == 3:
            raise Died  # committed, not published: the next run must publish them

    with pytest.raises(Died):
        sync(lake, stream, tmp_path, None, on_checkpoint)
    last = committed[-1]
    assert len(committed) == (3 if state_committed else 2)
    assert bool(last.get("staged")) != (lake.type == "duckdb" and lake.keyed)  # upserts: none
    resumed = sync(lake, stream, tmp_path, last, lambda _state: None)
    assert resumed.rows == rows_in(last["chunks"], f"{SCHEMA}.big")
    if lake.drops_orphans:
        assert not lake.leftovers(tmp_path)
    ids = lake.ids(tmp_path)
    assert len(ids) == ROWS and pc.count_distinct(ids).as_py() == ROWS
    assert pc.sum(ids).as_py() == ROWS * (ROWS + 1) // 2
