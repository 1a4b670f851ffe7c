"""The runner: check never raises, timeouts, sync with checkpoints, abort on failure, clear."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds
import pytest

from connectors import runner
from connectors.base import ConfiguredStream, SyncMode
from connectors.catalog import configured_streams
from connectors.errors import ConfigError, ConnectorError

T1, T2 = 1_000_000_000_000_000_000, 2_000_000_000_000_000_000


def csv_file(path: Path, text: str, mtime: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(mtime, mtime))


def sync(
    src: dict[str, Any],
    dest_type: str,
    dest: dict[str, Any],
    stream: ConfiguredStream,
    state: dict[str, Any] | None = None,
    **kwargs: Any,
) -> runner.StreamResult:
    return runner.sync_stream(
        source_type="csv",
        source_version=None,
        source_config=src,
        destination_type=dest_type,
        destination_version=None,
        destination_config=dest,
        stream=stream,
        state=state,
        **kwargs,
    )


def duck_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path))
    try:
        return sorted(con.execute(f'SELECT * FROM "{table}"').fetchall())
    finally:
        con.close()


@pytest.fixture
def slow_server() -> Iterator[str]:
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            time.sleep(2)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_check_times_out_without_raising(slow_server: str) -> None:
    started = time.monotonic()
    result = runner.check("source", "api", None, {"url": slow_server}, timeout=0.3)
    assert result.status == "FAILED" and result.message == "check timed out after 0.3 s"
    assert time.monotonic() - started < 1.5


def test_check_of_an_unknown_type_fails_cleanly() -> None:
    result = runner.check("source", "oracle", None, {})
    assert result.status == "FAILED" and "known types" in result.message


def test_validate_config_names_the_field() -> None:
    with pytest.raises(ConfigError, match="field 'row_group_size'"):
        runner.validate_config(
            "destination", "parquet", None, {"local_path": "x", "row_group_size": 0}
        )


def test_discover_keeps_a_previous_catalog_given_as_a_string(tmp_path: Path) -> None:
    csv_file(tmp_path / "a.csv", "id\n1\n", T1)
    config = {"path": str(tmp_path / "a.csv")}
    first = runner.discover("csv", None, config)
    first["streams"][0]["stream"]["sync_mode"] = "incremental"
    import json

    again = runner.discover("csv", None, config, json.dumps(first))
    assert configured_streams(again)[0].sync_mode == SyncMode.INCREMENTAL


def source_states(committed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The committed states as the source wrote them: without the chunks DuckDB staged."""
    assert all(state.get(runner.STAGED) for state in committed), committed
    return [{k: v for k, v in state.items() if k != runner.STAGED} for state in committed]


def test_incremental_sync_reports_checkpoints_and_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "users"
    folder.mkdir()
    csv_file(folder / "1.csv", "id,name\n1,a\n2,b\n", T1)
    dest = {"type": "duckdb", "db_path": str(tmp_path / "w.duckdb")}
    stream = ConfiguredStream("users", "", SyncMode.INCREMENTAL)
    seen: list[dict[str, Any]] = []
    progress: list[tuple[int, int]] = []
    src = {"path": str(folder)}
    first = sync(
        src,
        "duckdb",
        dest,
        stream,
        None,
        on_checkpoint=seen.append,
        on_progress=lambda r, b: progress.append((r, b)),
    )
    assert first.rows == 2 and first.bytes > 0 and first.state == {"mtime": T1}
    assert source_states(seen) == [{"mtime": T1}] and progress[-1][0] == 2
    csv_file(folder / "2.csv", "id,name\n3,c\n", T2)
    second = sync({"path": str(folder)}, "duckdb", dest, stream, first.state)
    assert second.rows == 1 and second.state == {"mtime": T2}
    assert duck_rows(tmp_path / "w.duckdb", "users") == [(1, "a"), (2, "b"), (3, "c")]


def test_failed_full_refresh_leaves_the_old_data_and_no_partial_file(tmp_path: Path) -> None:
    folder = tmp_path / "users"
    folder.mkdir()
    csv_file(folder / "1.csv", "id,name\n1,a\n", T1)
    lake = tmp_path / "lake"
    dest = {"type": "PARQUET", "writer": {"local_path": str(lake)}}
    stream = ConfiguredStream("users", "", SyncMode.FULL_REFRESH)
    sync({"path": str(folder)}, "parquet", dest, stream)
    csv_file(folder / "2.csv", "id,name\n2,b\n3\n", T2)  # a short row: the read fails midway
    with pytest.raises(ConnectorError) as info:
        sync({"path": str(folder)}, "parquet", dest, stream)
    assert info.value.kind == "config"
    assert ds.dataset(lake / "users", format="parquet").to_table().to_pylist() == [
        {"id": 1, "name": "a"}
    ]
    assert sorted(p.name for p in lake.iterdir()) == ["users"]  # no staging folder left


def test_failed_incremental_keeps_what_was_checkpointed(tmp_path: Path) -> None:
    folder = tmp_path / "users"
    folder.mkdir()
    csv_file(folder / "1.csv", "id,name\n1,a\n", T1)
    csv_file(folder / "2.csv", "id,name\n2,b\n3\n", T2)
    dest = {"db_path": str(tmp_path / "w.duckdb")}
    stream = ConfiguredStream("users", "", SyncMode.INCREMENTAL)
    seen: list[dict[str, Any]] = []
    with pytest.raises(ConnectorError):
        sync({"path": str(folder)}, "duckdb", dest, stream, on_checkpoint=seen.append)
    assert source_states(seen) == [{"mtime": T1}]
    assert duck_rows(tmp_path / "w.duckdb", "users") == [(1, "a")]


def test_empty_full_refresh_replaces_with_an_empty_table(tmp_path: Path) -> None:
    csv_file(tmp_path / "users.csv", "id,name\n1,a\n", T1)
    src = {"path": str(tmp_path / "users.csv")}
    dest = {"db_path": str(tmp_path / "w.duckdb")}
    (stream,) = configured_streams(runner.discover("csv", None, src))
    sync(src, "duckdb", dest, stream)
    csv_file(tmp_path / "users.csv", "id,name\n", T2)
    result = sync(src, "duckdb", dest, stream)
    assert result.rows == 0 and duck_rows(tmp_path / "w.duckdb", "users") == []


def test_selected_columns_reach_the_destination(tmp_path: Path) -> None:
    csv_file(tmp_path / "users.csv", "id,name,secret\n1,a,x\n", T1)
    src = {"path": str(tmp_path / "users.csv")}
    dest = {"db_path": str(tmp_path / "w.duckdb")}
    (stream,) = configured_streams(runner.discover("csv", None, src))
    sync(src, "duckdb", dest, dataclasses.replace(stream, columns=["id", "name"]))
    assert duck_rows(tmp_path / "w.duckdb", "users") == [(1, "a")]


def test_clear_stream_drops_the_table(tmp_path: Path) -> None:
    csv_file(tmp_path / "users.csv", "id\n1\n", T1)
    dest = {"db_path": str(tmp_path / "w.duckdb")}
    stream = ConfiguredStream("users", "", SyncMode.FULL_REFRESH)
    sync({"path": str(tmp_path / "users.csv")}, "duckdb", dest, stream)
    runner.clear_stream("duckdb", None, dest, stream)
    con = duckdb.connect(dest["db_path"])
    assert con.execute("SELECT count(*) FROM information_schema.tables").fetchall() == [(0,)]


def test_conform_reorders_fills_and_casts() -> None:
    import pyarrow as pa

    schema = pa.schema([("id", pa.int64()), ("name", pa.string())])
    batch = pa.RecordBatch.from_pylist([{"name": None, "id": 1}])  # name is of type null here
    assert runner.conform(batch, schema).to_pylist() == [{"id": 1, "name": None}]
    missing = pa.RecordBatch.from_pylist([{"id": 2}])
    assert runner.conform(missing, schema).schema == schema


def test_a_type_change_mid_stream_is_a_config_error() -> None:
    import pyarrow as pa

    schema = pa.schema([("id", pa.int64())])
    with pytest.raises(ConfigError, match="column 'id' changed type"):
        runner.conform(pa.RecordBatch.from_pylist([{"id": "x"}]), schema)
