"""The destination conformance suite: replace, append, upsert, abort and checkpoint semantics.

How to use it: subclass in a test module, set `destination_type` (and `supports_upsert`),
provide a `config` fixture and implement `read_back`, what a reader of the destination sees::

    class TestDuckDBConformance(DestinationConformance):
        destination_type = "duckdb"

        @pytest.fixture
        def config(self, tmp_path) -> dict:
            return {"db_path": str(tmp_path / "x.duckdb")}

        def read_back(self, config, stream) -> list[dict]: ...  # [] when nothing is there
"""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow as pa

from connectors import registry, runner
from connectors.base import CheckStatus, ConfiguredStream, StreamWriter, SyncMode

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


def batch(*rows: tuple[int, str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([{"id": i, "name": n} for i, n in rows], schema=SCHEMA)


class DestinationConformance:
    destination_type: ClassVar[str]
    destination_version: ClassVar[str | None] = None
    supports_upsert: ClassVar[bool] = True

    def read_back(self, config: dict[str, Any], stream: ConfiguredStream) -> list[dict[str, Any]]:
        raise NotImplementedError

    def rows(self, config: dict[str, Any], stream: ConfiguredStream) -> list[tuple[int, str]]:
        return sorted((r["id"], r["name"]) for r in self.read_back(config, stream))

    def open(self, config: dict[str, Any], stream: ConfiguredStream) -> StreamWriter:
        model = runner.validate_config(
            "destination", self.destination_type, self.destination_version, config
        )
        destination = registry.get_destination(self.destination_type, self.destination_version)
        return destination.open_writer(model, stream, SCHEMA)

    def load(
        self, config: dict[str, Any], stream: ConfiguredStream, *batches: pa.RecordBatch
    ) -> None:
        writer = self.open(config, stream)
        for b in batches:
            writer.write(b)
        writer.commit()

    def full(self, pk: list[str] | None = None) -> ConfiguredStream:
        return ConfiguredStream("users", "app", SyncMode.FULL_REFRESH, primary_key=pk or [])

    def incremental(self, pk: list[str] | None = None) -> ConfiguredStream:
        return ConfiguredStream(
            "users", "app", SyncMode.INCREMENTAL, cursor_field="id", primary_key=pk or []
        )

    def test_check_succeeds(self, config: dict[str, Any]) -> None:
        result = runner.check(
            "destination", self.destination_type, self.destination_version, config
        )
        assert result.status is CheckStatus.SUCCEEDED, result.message

    def test_full_refresh_replaces(self, config: dict[str, Any]) -> None:
        self.load(config, self.full(), batch((1, "a"), (2, "b")))
        assert self.rows(config, self.full()) == [(1, "a"), (2, "b")]
        self.load(config, self.full(), batch((3, "c")))
        assert self.rows(config, self.full()) == [(3, "c")]

    def test_full_refresh_keeps_old_data_visible_until_commit(self, config: dict[str, Any]) -> None:
        self.load(config, self.full(), batch((1, "a")))
        writer = self.open(config, self.full())
        writer.write(batch((2, "b")))
        writer.checkpoint()
        assert self.rows(config, self.full()) == [(1, "a")]
        writer.commit()
        assert self.rows(config, self.full()) == [(2, "b")]

    def test_empty_full_refresh_empties_the_stream(self, config: dict[str, Any]) -> None:
        self.load(config, self.full(), batch((1, "a")))
        self.load(config, self.full())
        assert self.rows(config, self.full()) == []

    def test_incremental_appends(self, config: dict[str, Any]) -> None:
        self.load(config, self.incremental(), batch((1, "a")))
        self.load(config, self.incremental(), batch((2, "b")), batch((3, "c")))
        assert self.rows(config, self.incremental()) == [(1, "a"), (2, "b"), (3, "c")]

    def test_incremental_upserts_by_primary_key(self, config: dict[str, Any]) -> None:
        stream = self.incremental(pk=["id"])
        self.load(config, stream, batch((1, "a"), (2, "b")))
        self.load(config, stream, batch((2, "B"), (3, "c")))
        if self.supports_upsert:
            assert self.rows(config, stream) == [(1, "a"), (2, "B"), (3, "c")]
        else:  # append-only destinations keep every version
            assert self.rows(config, stream) == [(1, "a"), (2, "B"), (2, "b"), (3, "c")]

    def test_abort_leaves_nothing_visible(self, config: dict[str, Any]) -> None:
        for stream in (self.full(), self.incremental()):
            writer = self.open(config, stream)
            writer.write(batch((1, "a")))
            writer.abort()
            assert self.rows(config, stream) == []

    def test_abort_keeps_committed_data(self, config: dict[str, Any]) -> None:
        self.load(config, self.full(), batch((1, "a")))
        writer = self.open(config, self.full())
        writer.write(batch((2, "b")))
        writer.abort()
        assert self.rows(config, self.full()) == [(1, "a")]

    def test_checkpoint_makes_data_durable(self, config: dict[str, Any]) -> None:
        writer = self.open(config, self.incremental())
        writer.write(batch((1, "a")))
        writer.checkpoint()
        assert self.rows(config, self.incremental()) == [(1, "a")]
        writer.write(batch((2, "b")))
        writer.abort()
        assert self.rows(config, self.incremental()) == [(1, "a")]

    def test_clear_drops_the_stream(self, config: dict[str, Any]) -> None:
        self.load(config, self.full(), batch((1, "a")))
        runner.clear_stream(self.destination_type, self.destination_version, config, self.full())
        assert self.rows(config, self.full()) == []
