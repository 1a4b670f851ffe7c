"""The duckdb destination: conformance (plain and encrypted), quoting, schemas, aliases, keys."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from connectors import runner
from connectors.base import CheckStatus, ConfiguredStream, SyncMode
from connectors.destinations.duckdb.config import DuckDBConfig
from connectors.destinations.duckdb.destination import (
    UNSAFE_CRYPTO_ENV,
    DuckDBDestination,
    connect,
    quote,
    table_of,
)
from connectors.errors import ConfigError, ErrorKind
from connectors.registry import get_destination
from connectors.spec import secret_paths, spec
from connectors.testing import DestinationConformance
from connectors.testing.destination import batch


def read_table(config: dict[str, Any], stream: ConfiguredStream) -> list[dict[str, Any]]:
    model = DuckDBConfig.model_validate(config)
    schema, table = table_of(model, stream)
    con = connect(model)  # with the key, if any, and beside any writer still open
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


KEY = "olake-test-key-7f3a'quoted"  # the quote proves the key is bound, not spliced
PLAINTEXT = "zz-distinctive-plaintext-zz"
WRONG_KEY_MESSAGE = "wrong encryption_key: it does not open this DuckDB file"


@pytest.fixture
def mbedtls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let DuckDB encrypt with its built-in mbedTLS: no httpfs (OpenSSL) on test machines."""
    monkeypatch.setenv(UNSAFE_CRYPTO_ENV, "1")


class TestEncryptedDuckDBConformance(TestDuckDBConformance):
    """Every semantic of the suite holds on an encrypted file: every open uses the key."""

    @pytest.fixture
    def config(self, tmp_path: Path, mbedtls: None) -> dict[str, Any]:
        return {"type": "duckdb", "db_path": str(tmp_path / "vault.duckdb"), "encryption_key": KEY}


def read_with_key(path: Path, key: str) -> list[tuple[Any, ...]]:
    """Rows of main.users read by plain DuckDB, not through the destination's code."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS vault (ENCRYPTION_KEY ?, READ_ONLY)", [str(path), key])
        return con.execute("SELECT * FROM vault.main.users ORDER BY id").fetchall()
    finally:
        con.close()


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


def test_encryption_key_is_a_secret_of_the_spec() -> None:
    assert secret_paths("destination", "duckdb") == ["encryption_key"]
    field = spec("destination", "duckdb")["jsonschema"]["properties"]["encryption_key"]
    assert field["type"] == "string" and field["format"] == "password"


def test_encrypted_file_reads_back_only_with_its_key(tmp_path: Path, mbedtls: None) -> None:
    path = tmp_path / "vault.duckdb"
    config = {"db_path": str(path), "encryption_key": KEY}
    write(config, ConfiguredStream("users", "", SyncMode.FULL_REFRESH), batch((1, PLAINTEXT)))
    assert read_with_key(path, KEY) == [(1, PLAINTEXT)]
    assert PLAINTEXT.encode() not in path.read_bytes()
    with pytest.raises(duckdb.Error, match="without a key"):
        duckdb.connect(str(path))
    result = runner.check("destination", "duckdb", None, {"db_path": str(path)})
    assert result.status is CheckStatus.FAILED
    assert result.message == "the DuckDB file is encrypted: set its encryption_key"


def write_csv(tmp_path: Path) -> Path:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "users.csv").write_text("id,name\n1,a\n")
    return folder


def test_wrong_key_fails_check_sync_and_clear_without_showing_a_key(
    tmp_path: Path, mbedtls: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "vault.duckdb"
    stream = ConfiguredStream("users", "", SyncMode.FULL_REFRESH)
    write({"db_path": str(path), "encryption_key": KEY}, stream, batch((1, "a")))
    wrong_key = "wrong-key-5d1e"
    wrong = {"db_path": str(path), "encryption_key": wrong_key}

    result = runner.check("destination", "duckdb", None, wrong)
    assert result.status is CheckStatus.FAILED
    assert result.message == WRONG_KEY_MESSAGE
    with pytest.raises(ConfigError, match=WRONG_KEY_MESSAGE) as sync_error:
        runner.sync_stream(
            source_type="csv",
            source_version=None,
            source_config={"path": str(write_csv(tmp_path))},
            destination_type="duckdb",
            destination_version=None,
            destination_config=wrong,
            stream=stream,
            state=None,
        )
    with pytest.raises(ConfigError, match=WRONG_KEY_MESSAGE) as clear_error:
        runner.clear_stream("duckdb", None, wrong, stream)

    said = [result.message, caplog.text]
    said += [e.value.user_message + e.value.internal_message for e in (sync_error, clear_error)]
    assert all(KEY not in text and wrong_key not in text for text in said), said
    assert read_with_key(path, KEY) == [(1, "a")]  # a wrong key harms nothing


def test_key_for_a_plain_file_is_a_config_error(tmp_path: Path, mbedtls: None) -> None:
    path = tmp_path / "plain.duckdb"
    write({"db_path": str(path)}, ConfiguredStream("users", "", SyncMode.FULL_REFRESH), batch())
    result = runner.check(
        "destination", "duckdb", None, {"db_path": str(path), "encryption_key": KEY}
    )
    assert result.status is CheckStatus.FAILED and "not encrypted" in result.message


def test_two_writers_share_one_encrypted_file(tmp_path: Path, mbedtls: None) -> None:
    # Parallel streams: DuckDB lets one instance open a file, so both must share it.
    config = {"db_path": str(tmp_path / "vault.duckdb"), "encryption_key": KEY}
    model = runner.validate_config("destination", "duckdb", None, config)
    streams = [ConfiguredStream(name, "", SyncMode.INCREMENTAL) for name in ("a", "b")]
    writers = [DuckDBDestination().open_writer(model, s, batch().schema) for s in streams]
    for number, writer in enumerate(writers):
        writer.write(batch((number, "x")))
    for writer in writers:
        writer.commit()
    assert [read_table(config, s) for s in streams] == [
        [{"id": 0, "name": "x"}],
        [{"id": 1, "name": "x"}],
    ]


def test_a_file_held_under_another_key_is_transient_and_shows_no_key(
    tmp_path: Path, mbedtls: None
) -> None:
    path = str(tmp_path / "held.duckdb")
    other = "another-key-0123456789abcdef0123"
    held = connect(DuckDBConfig(db_path=path, encryption_key=KEY))
    try:
        held.execute("CREATE TABLE t (i INTEGER)")
        with pytest.raises(duckdb.ResourceInUseException) as caught:
            connect(DuckDBConfig(db_path=path, encryption_key=other))
        error = DuckDBDestination().translate_error(caught.value)
    finally:
        held.close()
    assert error.kind is ErrorKind.TRANSIENT and "another encryption_key" in str(error)
    assert KEY not in str(error) and other not in str(error)


def test_missing_openssl_is_a_config_error_naming_the_remedy() -> None:
    # What DuckDB says when it may read but not write encrypted files (no httpfs extension).
    exc = duckdb.Error(
        "Invalid Configuration Error: DuckDB currently has a read-only crypto module"
    )
    error = DuckDBDestination().translate_error(exc)
    assert error.kind is ErrorKind.CONFIG and "httpfs" in error.user_message
