"""The source conformance suite: spec, check, discover, full and incremental reads.

How to use it: subclass in a test module, set `source_type`, and provide the fixtures::

    from connectors.testing import SourceConformance

    class TestPostgresConformance(SourceConformance):
        source_type = "postgres"

        @pytest.fixture
        def config(self, pg_db) -> dict: ...          # a working config (dict, as the UI sends)

        @pytest.fixture
        def bad_config(self, config) -> dict: ...     # e.g. a wrong password: check must FAIL

        @pytest.fixture
        def expected_streams(self) -> list[str]: ...  # stream keys "namespace.name" (or "name")

        @pytest.fixture
        def fixture_rows(self) -> dict[str, list[dict]]: ...  # key -> every row of that stream

        @pytest.fixture
        def incremental_stream(self) -> tuple[str, str | None]: ...  # (key, cursor column)

        @pytest.fixture
        def insert_new_rows(self, ...) -> Callable[[], list[dict]]: ...  # adds rows, returns them

Rows are compared after `normalize_row` (override it when the source returns, say, Decimals
for what you wrote as floats); order does not matter. Set `cursor=None` in
`incremental_stream` for sources whose incremental state is not a column (file mtime).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors import registry, runner
from connectors.base import CheckStatus, ConfiguredStream, SyncMode
from connectors.catalog import configured_streams
from connectors.spec import spec


def _sorted_rows(
    rows: list[dict[str, Any]], normalize: Callable[[dict[str, Any]], Any]
) -> list[Any]:
    normalized = [normalize(r) for r in rows]
    return sorted(normalized, key=lambda r: json.dumps(r, sort_keys=True, default=str))


class SourceConformance:
    source_type: ClassVar[str]
    source_version: ClassVar[str | None] = None
    check_timeout: ClassVar[float] = 30.0

    def normalize_row(self, row: dict[str, Any]) -> Any:
        return row

    def stream(self, config: dict[str, Any], key: str) -> ConfiguredStream:
        catalog = runner.discover(self.source_type, self.source_version, config)
        for s in configured_streams(catalog):
            if s.key == key:
                return s
        raise AssertionError(f"stream {key!r} not discovered")

    def assert_same_rows(self, got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
        assert _sorted_rows(got, self.normalize_row) == _sorted_rows(expected, self.normalize_row)

    def test_spec_is_valid_json_schema(self) -> None:
        jsonschema = pytest.importorskip("jsonschema")
        result = spec("source", self.source_type, self.source_version)
        jsonschema.Draft202012Validator.check_schema(result["jsonschema"])
        assert result["jsonschema"].get("type") == "object"
        assert isinstance(json.loads(result["uischema"]), dict)

    def test_config_model_imports_no_driver_eagerly(self) -> None:
        model = registry.config_model("source", self.source_type, self.source_version)
        assert model.__module__.endswith(".config")

    def test_check_succeeds(self, config: dict[str, Any]) -> None:
        result = runner.check(
            "source", self.source_type, self.source_version, config, self.check_timeout
        )
        assert result.status is CheckStatus.SUCCEEDED, result.message

    def test_bad_config_fails(self, bad_config: dict[str, Any]) -> None:
        result = runner.check(
            "source", self.source_type, self.source_version, bad_config, self.check_timeout
        )
        assert result.status is CheckStatus.FAILED
        assert result.message

    def test_invalid_config_names_the_field(self) -> None:
        result = runner.check("source", self.source_type, self.source_version, {"port": "x" * 3})
        assert result.status is CheckStatus.FAILED
        assert "field '" in result.message, result.message

    def test_discover_finds_fixture_streams(
        self, config: dict[str, Any], expected_streams: list[str]
    ) -> None:
        catalog = runner.discover(self.source_type, self.source_version, config)
        keys = {s.key for s in configured_streams(catalog)}
        assert set(expected_streams) <= keys
        for item in catalog["streams"]:
            assert item["stream"]["type_schema"]["properties"], item

    def test_full_read_returns_fixture_rows(
        self, config: dict[str, Any], fixture_rows: dict[str, list[dict[str, Any]]]
    ) -> None:
        for key, rows in fixture_rows.items():
            stream = dataclasses.replace(self.stream(config, key), sync_mode=SyncMode.FULL_REFRESH)
            table, _ = runner.read_table(self.source_type, self.source_version, config, stream)
            self.assert_same_rows(table.to_pylist() if table is not None else [], rows)

    def test_incremental_twice_returns_only_new_rows(
        self,
        config: dict[str, Any],
        fixture_rows: dict[str, list[dict[str, Any]]],
        incremental_stream: tuple[str, str | None],
        insert_new_rows: Callable[[], list[dict[str, Any]]],
    ) -> None:
        key, cursor = incremental_stream
        stream = dataclasses.replace(
            self.stream(config, key), sync_mode=SyncMode.INCREMENTAL, cursor_field=cursor
        )
        first, state = runner.read_table(self.source_type, self.source_version, config, stream)
        self.assert_same_rows(first.to_pylist() if first is not None else [], fixture_rows[key])
        assert state, "an incremental read must end with a checkpoint"
        new_rows = insert_new_rows()
        second, _ = runner.read_table(self.source_type, self.source_version, config, stream, state)
        self.assert_same_rows(second.to_pylist() if second is not None else [], new_rows)

    def test_sync_into_parquet(
        self,
        config: dict[str, Any],
        fixture_rows: dict[str, list[dict[str, Any]]],
        tmp_path: Path,
    ) -> None:
        import pyarrow.dataset as ds

        key, rows = next(iter(fixture_rows.items()))
        stream = self.stream(config, key)
        result = runner.sync_stream(
            source_type=self.source_type,
            source_version=self.source_version,
            source_config=config,
            destination_type="parquet",
            destination_version=None,
            destination_config={"type": "PARQUET", "writer": {"local_path": str(tmp_path)}},
            stream=stream,
            state=None,
        )
        assert result.rows == len(rows)
        folder = tmp_path / stream.namespace / stream.table_name
        assert ds.dataset(folder, format="parquet").count_rows() == len(rows)
