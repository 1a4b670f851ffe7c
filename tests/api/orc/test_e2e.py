"""orc-rust-ator end to end: two tasks (a CSV file, a local HTTP API) into two DuckDB tables."""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.stack import Stack

ITEMS = [{"id": 1, "name": "anvil", "price": 9.5}, {"id": 2, "name": "rope", "price": 2.25}]
CSV_ROWS = [{"id": "1", "city": "Pune"}, {"id": "2", "city": "Oslo"}, {"id": "3", "city": "Lima"}]


@pytest.fixture
def items_api() -> Iterator[str]:
    """A local JSON API that the worker's flow run calls."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = json.dumps(ITEMS).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/items"
    server.shutdown()


class TestOrcEndToEnd:
    def test_two_tasks_into_two_duckdb_tables(
        self, prefect_stack: Stack, items_api: str, tmp_path: Path
    ) -> None:
        csv_path = tmp_path / "cities.csv"
        with csv_path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "city"])
            writer.writeheader()
            writer.writerows(CSV_ROWS)
        db_path = tmp_path / "out.duckdb"

        client = httpx.Client(base_url=prefect_stack.api_url, timeout=30)
        credentials = {"username": f"orc-{time.time_ns()}", "password": "pw"}
        assert client.post("/auth/register", json=credentials).status_code == 200
        token = client.post("/auth/login", json=credentials).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"

        body = {
            "job_name": f"orc-e2e-{time.time_ns()}",
            "description": "csv and api into duckdb",
            "schedule": "@manual",
            "is_active": True,
            "tasks": [
                {
                    "extractor_config": {"type": "csv", "path": str(csv_path)},
                    "loader_config": {
                        "type": "duckdb",
                        "db_path": str(db_path),
                        "table_name": "cities",
                    },
                },
                {
                    "extractor_config": {"type": "api", "url": items_api},
                    "loader_config": {
                        "type": "duckdb",
                        "db_path": str(db_path),
                        "table_name": "items",
                    },
                },
            ],
        }
        created = client.post("/jobs", json=body)
        assert created.status_code == 200, created.text
        job_id = created.json()["job_id"]

        queued = client.post(f"/jobs/{job_id}/run")
        assert queued.status_code == 200, queued.text
        run_id = queued.json()["run_id"]

        deadline = time.monotonic() + 90
        run: dict[str, Any] = {}
        while time.monotonic() < deadline:
            run = client.get(f"/runs/{run_id}").json()
            if run.get("status") in ("success", "failed", "cancelled"):
                break
            time.sleep(0.5)
        assert run.get("status") == "success", (run, prefect_stack.log("worker"))
        assert run["job_id"] == job_id and run["triggered_by"] == "manual"
        assert run["started_at"] and run["finished_at"]
        assert any(r["run_id"] == run_id for r in client.get("/runs").json())

        with duckdb.connect(str(db_path), read_only=True) as con:
            cities = con.execute("SELECT id, city FROM main.cities ORDER BY id").fetchall()
            items = con.execute("SELECT id, name, price FROM main.items ORDER BY id").fetchall()
        assert cities == [(int(r["id"]), r["city"]) for r in CSV_ROWS]
        assert items == [(i["id"], i["name"], i["price"]) for i in ITEMS]
