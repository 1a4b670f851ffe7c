"""The connector CLI run as a subprocess: OLake-style JSON lines and files beside the config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from connectors.cli import main

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path) -> tuple[int, list[dict[str, Any]]]:
    out = subprocess.run(
        [sys.executable, "-m", "connectors.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return out.returncode, [json.loads(line) for line in out.stdout.splitlines()]


def setup(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("id,name\n1,a\n2,b\n")
    (tmp_path / "config.json").write_text(json.dumps({"type": "csv", "path": "users.csv"}))
    dest = {"type": "PARQUET", "writer": {"local_path": str(tmp_path / "lake")}}
    (tmp_path / "destination.json").write_text(json.dumps(dest))


def test_spec_prints_source_and_destination_specs(tmp_path: Path) -> None:
    code, lines = cli("csv", "spec", cwd=tmp_path)
    assert code == 0 and lines[-1]["type"] == "SPEC"
    assert "path" in lines[-1]["spec"]["jsonschema"]["properties"]
    code, lines = cli("csv", "spec", "--destination-type", "duckdb", cwd=tmp_path)
    assert "db_path" in lines[-1]["spec"]["jsonschema"]["properties"]


def test_check_source_and_destination(tmp_path: Path) -> None:
    setup(tmp_path)
    code, lines = cli("csv", "check", "--config", "config.json", cwd=tmp_path)
    assert code == 0
    assert lines[-1]["connectionStatus"]["status"] == "SUCCEEDED"
    code, lines = cli("csv", "check", "--destination", "destination.json", cwd=tmp_path)
    assert code == 0 and lines[-1]["type"] == "CONNECTION_STATUS"


def test_failed_check_is_the_last_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"path": "missing.csv"}))
    code, lines = cli("csv", "check", "--config", "config.json", cwd=tmp_path)
    assert code == 1
    assert lines[-1]["connectionStatus"] == {
        "status": "FAILED",
        "message": "path 'missing.csv' does not exist",
    }


def test_discover_then_sync_writes_streams_and_state_beside_the_config(tmp_path: Path) -> None:
    setup(tmp_path)
    code, lines = cli("csv", "discover", "--config", "config.json", cwd=tmp_path)
    assert code == 0 and lines[-1]["type"] == "CATALOG"
    catalog = json.loads((tmp_path / "streams.json").read_text())
    assert catalog == lines[-1]["catalog"]
    catalog["streams"][0]["stream"]["sync_mode"] = "incremental"
    (tmp_path / "streams.json").write_text(json.dumps(catalog))
    code, lines = cli(
        "csv",
        "sync",
        "--config",
        "config.json",
        "--catalog",
        "streams.json",
        "--destination",
        "destination.json",
        cwd=tmp_path,
    )
    assert code == 0, lines
    states = [line for line in lines if line["type"] == "STATE"]
    assert states and states[-1]["state"]["streams"][0]["stream"] == "users"
    assert json.loads((tmp_path / "state.json").read_text()) == states[-1]["state"]
    assert ds.dataset(tmp_path / "lake" / "users", format="parquet").count_rows() == 2
    assert {line["type"] for line in lines} <= {"LOG", "STATE"}


def test_clear_destination_removes_data_and_state(tmp_path: Path) -> None:
    setup(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"path": str(tmp_path / "users.csv")}))
    cfg, dest = str(tmp_path / "config.json"), str(tmp_path / "destination.json")
    assert main(["csv", "discover", "--config", cfg]) == 0
    assert main(["csv", "sync", "--config", cfg, "--destination", dest]) == 0
    assert (tmp_path / "lake" / "users").exists()
    code = main(
        [
            "csv",
            "clear-destination",
            "--streams",
            str(tmp_path / "streams.json"),
            "--destination",
            dest,
        ]
    )
    assert code == 0 and not (tmp_path / "lake" / "users").exists()


def test_secrets_never_reach_the_output(tmp_path: Path) -> None:
    config = {
        "type": "api",
        "url": "http://127.0.0.1:9/x",
        "max_retries": 0,
        "headers": {"Authorization": "Bearer topsecret-value"},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    code, lines = cli("api", "check", "--config", "config.json", cwd=tmp_path)
    assert code == 1
    assert "topsecret-value" not in json.dumps(lines)


def test_unknown_type_is_reported_not_raised(tmp_path: Path) -> None:
    code, lines = cli("oracle", "spec", cwd=tmp_path)
    assert code == 1 and "known types" in lines[-1]["log"]["message"]
