"""The duckdb destination: conformance, quoting, schemas, table_name and path aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from connectors import runner
from connectors.base import ConfiguredStream, SyncMode
from connectors.destinations.duckdb.config import DuckDBConfig
from connectors.destinations.duckdb.destination import quote, table_of
from connectors.registry import get_destination
from connectors.testing import DestinationConformance
from connectors.testing.destination import batch


def read_table(config: dict[str, Any], stream: ConfiguredStream) -> list[dict[str, Any]]:
    model = DuckDBConfig.model_validate(config)
    schema, table = table_of(model, stream)
    con = duckdb.connect(model.db_path)
    try:
        found = con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchall()
        if not found:
            return []
        return con.sql(f"SELECT * FROM {quote(schema)}.{quote(table)}").to_arrow_table().to_pylist()
    finally:
        con.close()


class TestDuckDBConformance(DestinationConformance):
    destination_type = "duckdb"

    @pytest.fixture
    def config(self, tmp_path: Path) -> dict[str, Any]:
        return {"type": "duckdb", "db_path": str(tmp_path / "warehouse.duckdb")}

    def read_back(self, config: dict[str, Any], stream: ConfiguredStream) -> list[dict[str, Any]]:
        return read_table(config, stream)


def write(config: dict[str, Any], stream: ConfiguredStream, b: pa.RecordBatch) -> None:
    model = runner.validate_config("destination", "duckdb", None, config)
    writer = get_destination("duckdb").open_writer(model, stream, b.schema)
    writer.write(b)
    writer.commit()


def test_orc_config_with_path_alias_schema_and_table_name(tmp_path: Path) -> None:
    config = {"type": "duckdb", "path": str(tmp_path / "x.db"), "schema": "raw", "table_name": "t"}
    stream = ConfiguredStream("records", "", SyncMode.FULL_REFRESH)
    write(config, stream, batch((1, "a")))
    con = duckdb.connect(str(tmp_path / "x.db"))
    assert con.execute('SELECT count(*) FROM "raw"."t"').fetchone() == (1,)


def test_hostile_identifiers_are_quoted(tmp_path: Path) -> None:
    config = {"db_path": str(tmp_path / "x.db")}
    stream = ConfiguredStream('we"ird; DROP TABLE x', "sch ema", SyncMode.INCREMENTAL)
    write(config, stream, batch((1, "a")))
    assert read_table(config, stream) == [{"id": 1, "name": "a"}]


def test_new_columns_are_added_on_incremental(tmp_path: Path) -> None:
    config = {"db_path": str(tmp_path / "x.db")}
    stream = ConfiguredStream("users", "", SyncMode.INCREMENTAL)
    write(config, stream, batch((1, "a")))
    write(config, stream, pa.RecordBatch.from_pylist([{"id": 2, "name": "b", "age": 3}]))
    rows = sorted(read_table(config, stream), key=lambda r: r["id"])
    assert rows == [{"id": 1, "name": "a", "age": None}, {"id": 2, "name": "b", "age": 3}]


def test_duplicate_keys_in_one_batch_keep_the_last(tmp_path: Path) -> None:
    config = {"db_path": str(tmp_path / "x.db")}
    stream = ConfiguredStream("users", "", SyncMode.INCREMENTAL, primary_key=["id"])
    write(config, stream, batch((1, "a"), (1, "b")))
    assert read_table(config, stream) == [{"id": 1, "name": "b"}]


def test_missing_db_path_names_the_field() -> None:
    result = runner.check("destination", "duckdb", None, {"type": "duckdb"})
    assert result.status == "FAILED" and "db_path" in result.message


def test_upsert_adds_a_primary_key_to_an_existing_table(tmp_path: Path) -> None:
    config = {"db_path": str(tmp_path / "x.db")}
    write(config, ConfiguredStream("users", "", SyncMode.INCREMENTAL), batch((1, "a")))
    keyed = ConfiguredStream("users", "", SyncMode.INCREMENTAL, primary_key=["id"])
    write(config, keyed, batch((1, "b")))
    assert read_table(config, keyed) == [{"id": 1, "name": "b"}]


def test_upsert_falls_back_to_append_when_keys_are_duplicated(tmp_path: Path) -> None:
    config = {"db_path": str(tmp_path / "x.db")}
    plain = ConfiguredStream("users", "", SyncMode.INCREMENTAL)
    write(config, plain, batch((1, "a"), (1, "b")))
    keyed = ConfiguredStream("users", "", SyncMode.INCREMENTAL, primary_key=["id"])
    write(config, keyed, batch((1, "c")))
    assert len(read_table(config, keyed)) == 3


def test_full_refresh_with_primary_key_keeps_the_constraint(tmp_path: Path) -> None:
    config = {"db_path": str(tmp_path / "x.db")}
    keyed = ConfiguredStream("users", "", SyncMode.FULL_REFRESH, primary_key=["id"])
    write(config, keyed, batch((1, "a"), (2, "b")))
    write(config, keyed, batch((2, "c")))
    con = duckdb.connect(config["db_path"])
    constraints = con.execute(
        "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'users'"
    ).fetchall()
    con.close()
    assert ("PRIMARY KEY",) in constraints
    assert read_table(config, keyed) == [{"id": 2, "name": "c"}]
