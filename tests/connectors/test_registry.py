"""The registry: built-in types and versions, unknown names, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from connectors import registry
from connectors.base import Destination, Source
from connectors.errors import UnknownConnectorError

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = [
    "psycopg",
    "pymysql",
    "duckdb",
    "httpx",
    "pyarrow",
    "adbc_driver_manager",
    "adbc_driver_postgresql",
]


def test_builtin_types_are_listed() -> None:
    assert registry.source_types() == ["api", "csv", "mysql", "parquet", "postgres"]
    assert registry.destination_types() == ["duckdb", "parquet"]


def test_versions_newest_first_and_none_means_newest() -> None:
    assert registry.versions("source", "csv") == ["v0.1.0"]
    assert registry.config_model("source", "csv", None) is registry.config_model(
        "source", "csv", "v0.1.0"
    )


@pytest.mark.parametrize("type", ["csv", "parquet", "api"])
def test_get_source_returns_a_source(type: str) -> None:
    source = registry.get_source(type)
    assert isinstance(source, Source)
    assert source.type == type


@pytest.mark.parametrize("type", ["parquet", "duckdb"])
def test_get_destination_returns_a_destination(type: str) -> None:
    destination = registry.get_destination(type)
    assert isinstance(destination, Destination)
    assert destination.type == type


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(UnknownConnectorError, match="known types: api, csv"):
        registry.get_source("oracle")


def test_unknown_version_names_the_known_ones() -> None:
    with pytest.raises(UnknownConnectorError, match="known versions: v0.1.0"):
        registry.get_destination("duckdb", "v9.9.9")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownConnectorError):
        registry.versions("sink", "csv")


def test_listing_types_and_specs_imports_no_driver() -> None:
    script = f"""
import json, sys
from connectors import registry
from connectors.spec import secret_paths, spec
for kind in ("source", "destination"):
    for type in registry.types(kind):
        registry.versions(kind, type)
        spec(kind, type)
        secret_paths(kind, type)
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({DRIVERS!r}))))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []


def test_third_party_connector_registers_through_an_entry_point(tmp_path: Path) -> None:
    (tmp_path / "thirdparty.py").write_text(
        "from connectors.sources.csv.source import CSVSource\n"
        "class TSVSource(CSVSource):\n    type = 'tsv'\n    version = 'v2.0.0'\n"
    )
    info = tmp_path / "thirdparty-2.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty\nVersion: 2.0.0\n")
    (info / "entry_points.txt").write_text(
        "[prefect_olake.connectors]\nsource.tsv = thirdparty:TSVSource\n"
    )
    script = (
        "import json; from connectors import registry; "
        "print(json.dumps([registry.source_types(), registry.versions('source', 'tsv'), "
        "registry.get_source('tsv').type, registry.config_model('source', 'tsv').__name__]))"
    )
    env = {"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    types, versions, name, model = json.loads(out.stdout)
    assert "tsv" in types and versions == ["v2.0.0"] and name == "tsv" and model == "CSVConfig"
