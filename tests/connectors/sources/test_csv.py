"""The csv source: conformance (mtime and cursor increments), paths, globs and options."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors import runner
from connectors.base import ConfiguredStream, SyncMode
from connectors.catalog import configured_streams
from connectors.testing import SourceConformance

ROWS = [{"id": 1, "name": "ann", "score": 1.5}, {"id": 2, "name": "bob", "score": 2.5}]


def write_csv(path: Path, rows: list[dict[str, Any]], mtime: int | None = None) -> Path:
    lines = ["id,name,score"] + [f"{r['id']},{r['name']},{r['score']}" for r in rows]
    path.write_text("\n".join(lines) + "\n")
    if mtime is not None:
        os.utime(path, ns=(mtime, mtime))
    return path


@pytest.fixture
def users_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "users"
    folder.mkdir()
    write_csv(folder / "part1.csv", ROWS, mtime=1_000_000_000_000_000_000)
    return folder


class TestCSVByMtime(SourceConformance):
    source_type = "csv"

    @pytest.fixture
    def config(self, users_dir: Path) -> dict[str, Any]:
        return {"type": "csv", "path": str(users_dir)}

    @pytest.fixture
    def bad_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"type": "csv", "path": str(tmp_path / "missing")}

    @pytest.fixture
    def expected_streams(self) -> list[str]:
        return ["users"]

    @pytest.fixture
    def fixture_rows(self) -> dict[str, list[dict[str, Any]]]:
        return {"users": ROWS}

    @pytest.fixture
    def incremental_stream(self) -> tuple[str, str | None]:
        return ("users", None)

    @pytest.fixture
    def insert_new_rows(self, users_dir: Path) -> Callable[[], list[dict[str, Any]]]:
        def insert() -> list[dict[str, Any]]:
            new = [{"id": 3, "name": "cy", "score": 0.5}]
            write_csv(users_dir / "part2.csv", new, mtime=2_000_000_000_000_000_000)
            return new

        return insert


class TestCSVByCursor(TestCSVByMtime):
    @pytest.fixture
    def incremental_stream(self) -> tuple[str, str | None]:
        return ("users", "id")

    @pytest.fixture
    def insert_new_rows(self, users_dir: Path) -> Callable[[], list[dict[str, Any]]]:
        def insert() -> list[dict[str, Any]]:
            # Appending to the same file: only the cursor tells old rows from new ones.
            new = [{"id": 3, "name": "cy", "score": 0.5}]
            write_csv(users_dir / "part1.csv", ROWS + new)
            return new

        return insert


def test_single_file_stream_is_named_after_its_stem(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", ROWS)
    catalog = runner.discover("csv", None, {"type": "csv", "path": str(path)})
    assert [s.name for s in configured_streams(catalog)] == ["orders"]


def test_glob_reads_every_matching_file(tmp_path: Path) -> None:
    write_csv(tmp_path / "sales_1.csv", ROWS[:1])
    write_csv(tmp_path / "sales_2.csv", ROWS[1:])
    (tmp_path / "other.txt").write_text("not,csv\n")
    config = {"path": str(tmp_path / "sales_*.csv")}
    (stream,) = configured_streams(runner.discover("csv", None, config))
    assert stream.name == "sales"
    table, _ = runner.read_table("csv", None, config, stream)
    assert table is not None and table.num_rows == 2


def test_delimiter_and_headerless_files(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("1;x\n2;y\n")
    config = {
        "path": str(tmp_path / "t.csv"),
        "delimiter": ";",
        "header": False,
        "column_names": ["id", "label"],
    }
    (stream,) = configured_streams(runner.discover("csv", None, config))
    table, _ = runner.read_table("csv", None, config, stream)
    assert table is not None and table.to_pylist() == [
        {"id": 1, "label": "x"},
        {"id": 2, "label": "y"},
    ]


def test_selected_columns_are_projected(users_dir: Path) -> None:
    config = {"path": str(users_dir)}
    stream = ConfiguredStream("users", "", SyncMode.FULL_REFRESH, columns=["name"])
    table, _ = runner.read_table("csv", None, config, stream)
    assert table is not None and table.column_names == ["name"]


def test_empty_directory_fails_check(tmp_path: Path) -> None:
    result = runner.check("source", "csv", None, {"path": str(tmp_path)})
    assert result.status == "FAILED" and "no " in result.message


def test_unparseable_row_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3\n")
    config = {"path": str(tmp_path / "bad.csv")}
    stream = ConfiguredStream("bad", "", SyncMode.FULL_REFRESH)
    with pytest.raises(Exception) as info:
        runner.read_table("csv", None, config, stream)
    assert getattr(info.value, "kind", None) == "config"


def test_timestamp_cursor_round_trips_through_json_state(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("id,at\n1,2024-01-01T00:00:00\n2,2024-01-02T00:00:00\n")
    config = {"path": str(path)}
    stream = ConfiguredStream("events", "", SyncMode.INCREMENTAL, cursor_field="at")
    _, state = runner.read_table("csv", None, config, stream)
    assert state == {"at": "2024-01-02T00:00:00"}
    path.write_text(path.read_text() + "3,2024-01-03T00:00:00\n")
    table, state = runner.read_table("csv", None, config, stream, state)
    assert table is not None and table.column("id").to_pylist() == [3]
    assert state == {"at": "2024-01-03T00:00:00"}
