"""The parquet source: conformance over a directory of files, by mtime and by cursor."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.testing import SourceConformance

ROWS = [{"id": 1, "city": "Oslo"}, {"id": 2, "city": "Lima"}]


def write_parquet(path: Path, rows: list[dict[str, Any]], mtime: int) -> None:
    pq.write_table(pa.Table.from_pylist(rows), path)
    os.utime(path, ns=(mtime, mtime))


@pytest.fixture
def cities(tmp_path: Path) -> Path:
    folder = tmp_path / "cities"
    folder.mkdir()
    write_parquet(folder / "a.parquet", ROWS, 1_000_000_000_000_000_000)
    (folder / "_SUCCESS").write_text("")  # markers that Spark leaves must be skipped
    return folder


class TestParquetSource(SourceConformance):
    source_type = "parquet"

    @pytest.fixture
    def config(self, cities: Path) -> dict[str, Any]:
        return {"type": "parquet", "path": str(cities)}

    @pytest.fixture
    def bad_config(self, tmp_path: Path) -> dict[str, Any]:
        (tmp_path / "broken.parquet").write_text("not parquet")
        return {"type": "parquet", "path": str(tmp_path / "broken.parquet")}

    @pytest.fixture
    def expected_streams(self) -> list[str]:
        return ["cities"]

    @pytest.fixture
    def fixture_rows(self) -> dict[str, list[dict[str, Any]]]:
        return {"cities": ROWS}

    @pytest.fixture
    def incremental_stream(self) -> tuple[str, str | None]:
        return ("cities", None)

    @pytest.fixture
    def insert_new_rows(self, cities: Path) -> Callable[[], list[dict[str, Any]]]:
        def insert() -> list[dict[str, Any]]:
            new = [{"id": 3, "city": "Pune"}]
            write_parquet(cities / "b.parquet", new, 2_000_000_000_000_000_000)
            return new

        return insert


class TestParquetSourceByCursor(TestParquetSource):
    @pytest.fixture
    def incremental_stream(self) -> tuple[str, str | None]:
        return ("cities", "id")
