"""The parquet destination: conformance, OLake's layout, temporary names and both config forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from connectors import runner
from connectors.base import ConfiguredStream, SyncMode
from connectors.destinations.parquet.config import ParquetConfig
from connectors.testing import DestinationConformance
from connectors.testing.destination import batch


def folder(config: dict[str, Any], stream: ConfiguredStream) -> Path:
    return (
        Path(ParquetConfig.model_validate(config).local_path) / stream.namespace / stream.table_name
    )


class TestParquetConformance(DestinationConformance):
    destination_type = "parquet"
    supports_upsert = False

    @pytest.fixture
    def config(self, tmp_path: Path) -> dict[str, Any]:
        return {"type": "PARQUET", "writer": {"local_path": str(tmp_path / "lake")}}

    def read_back(self, config: dict[str, Any], stream: ConfiguredStream) -> list[dict[str, Any]]:
        path = folder(config, stream)
        if not path.exists():
            return []
        return ds.dataset(path, format="parquet").to_table().to_pylist()


def test_flat_config_is_accepted(tmp_path: Path) -> None:
    model = runner.validate_config("destination", "parquet", None, {"local_path": str(tmp_path)})
    assert model.local_path == str(tmp_path)  # type: ignore[attr-defined]


def test_writes_under_namespace_and_table_with_no_temporary_file_left(tmp_path: Path) -> None:
    config = {"type": "PARQUET", "writer": {"local_path": str(tmp_path), "compression": "snappy"}}
    stream = ConfiguredStream("users", "app", SyncMode.INCREMENTAL, destination_table="people")
    model = runner.validate_config("destination", "parquet", None, config)
    from connectors.registry import get_destination

    writer = get_destination("parquet").open_writer(model, stream, batch((1, "a")).schema)
    writer.write(batch((1, "a")))
    assert list((tmp_path / "app" / "people").iterdir())[0].name.startswith(".tmp-")
    writer.commit()
    names = [p.name for p in (tmp_path / "app" / "people").iterdir()]
    assert len(names) == 1 and names[0].startswith("part-") and names[0].endswith(".parquet")


def test_max_file_rows_splits_files(tmp_path: Path) -> None:
    config = {"local_path": str(tmp_path), "max_file_rows": 1}
    stream = ConfiguredStream("users", "", SyncMode.INCREMENTAL)
    model = runner.validate_config("destination", "parquet", None, config)
    from connectors.registry import get_destination

    writer = get_destination("parquet").open_writer(model, stream, batch((1, "a")).schema)
    writer.write(batch((1, "a")))
    writer.write(batch((2, "b")))
    writer.commit()
    assert len(list((tmp_path / "users").glob("part-*.parquet"))) == 2


def test_unwritable_path_fails_check(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.check("destination", "parquet", None, {"local_path": str(blocker / "sub")})
    assert result.status == "FAILED" and "not writable" in result.message
