"""A planted secret never leaves: not in API responses, Prefect logs, artifacts, parameters or logs.

Secrets planted: a Postgres source password, an HTTP API source's header token, and a DuckDB
destination's encryption key (and a wrong one). The check, discover and sync paths run for real on
the session stack, including a sync whose source fails and one whose destination refuses its key.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import httpx
import pytest

from tests.services import pg_source
from tests.stack import BASE, Stack, api_client, pg_execute, prefect_client, sync_and_wait

SECRET = f"planted-{uuid.uuid4().hex}"
HEADER_SECRET = f"token-{uuid.uuid4().hex}"
DUCKDB_SECRET = f"duckdb-key-{uuid.uuid4().hex}"
WRONG_DUCKDB_SECRET = f"duckdb-wrong-{uuid.uuid4().hex}"
SECRETS = (SECRET, HEADER_SECRET, DUCKDB_SECRET, WRONG_DUCKDB_SECRET)
SCHEMA = "trust_secrets"


class Recorder:
    """Keeps every response body the test receives, to search them at the end."""

    def __init__(self, client: httpx.Client) -> None:
        self.client, self.bodies = client, []  # type: ignore[var-annotated]

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        self.bodies.append(response.text)
        return response


@pytest.fixture
def items_api() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            ok = self.headers.get("Authorization") == f"Bearer {HEADER_SECRET}"
            body = json.dumps([{"id": 1}] if ok else {"error": "bad token"}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/items"
    server.shutdown()


def _parquet(out: Path) -> dict[str, Any]:
    return {"type": "parquet", "config": {"local_path": str(out)}}


def _duckdb(path: Path, key: str) -> dict[str, Any]:
    return {"type": "duckdb", "config": {"db_path": str(path), "encryption_key": key}}


def _job(call: Recorder, name: str, source: dict[str, Any], destination: dict[str, Any]) -> int:
    body = {
        "name": name,
        "source": source,
        "destination": {"name": f"{name}-dst", **destination},
        "frequency": "0 3 * * *",
    }
    response = call("POST", f"{BASE}/jobs", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["id"])


def test_planted_secrets_appear_nowhere(
    prefect_stack: Stack, items_api: str, tmp_path: Path
) -> None:
    pg_execute(
        f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};"
        f"CREATE TABLE {SCHEMA}.t (id int primary key, v text);"
        f"INSERT INTO {SCHEMA}.t VALUES (1, 'a'), (2, 'b');"
    )
    call = Recorder(api_client(prefect_stack))
    pg = pg_source(SCHEMA, password=SECRET)
    api = {"url": items_api, "headers": {"Authorization": f"Bearer {HEADER_SECRET}"}}
    vault = tmp_path / "vault.duckdb"  # the check creates it, encrypted with DUCKDB_SECRET
    duck, wrong_duck = _duckdb(vault, DUCKDB_SECRET), _duckdb(vault, WRONG_DUCKDB_SECRET)

    for kind, type_, config, status in (
        ("sources", "postgres", pg, "SUCCEEDED"),
        ("sources", "api", api, "SUCCEEDED"),
        ("destinations", "duckdb", duck["config"], "SUCCEEDED"),
        ("destinations", "duckdb", wrong_duck["config"], "FAILED"),
    ):
        response = call("POST", f"{BASE}/{kind}/test", json={"type": type_, "config": config})
        assert response.status_code == 200, response.text
        assert response.json()["data"]["connection_result"]["status"] == status, response.text
    assert (
        call("POST", f"{BASE}/sources/streams", json={"type": "postgres", "config": pg}).status_code
        == 200
    )

    good = _job(
        call,
        f"secret-pg-{uuid.uuid4().hex[:6]}",
        {"name": f"pg-{uuid.uuid4().hex[:6]}", "type": "postgres", "config": pg},
        _parquet(tmp_path / "a"),
    )
    api_job = _job(
        call,
        f"secret-api-{uuid.uuid4().hex[:6]}",
        {"name": f"api-{uuid.uuid4().hex[:6]}", "type": "api", "config": api},
        _parquet(tmp_path / "b"),
    )
    broken = dict(pg, database=f"no_db_{uuid.uuid4().hex[:6]}")  # this run fails
    failing = _job(
        call,
        f"secret-bad-{uuid.uuid4().hex[:6]}",
        {"name": f"bad-{uuid.uuid4().hex[:6]}", "type": "postgres", "config": broken},
        _parquet(tmp_path / "c"),
    )
    encrypted = _job(
        call,
        f"secret-duck-{uuid.uuid4().hex[:6]}",
        {"name": f"pg-duck-{uuid.uuid4().hex[:6]}", "type": "postgres", "config": pg},
        duck,
    )
    refused = _job(  # this run fails: the key does not open the file the run above wrote
        call,
        f"secret-duck-bad-{uuid.uuid4().hex[:6]}",
        {"name": f"pg-duck-bad-{uuid.uuid4().hex[:6]}", "type": "postgres", "config": pg},
        wrong_duck,
    )

    run_ids = []
    for job_id, expected in (
        (good, "Completed"),
        (api_job, "Completed"),
        (failing, "Failed"),
        (encrypted, "Completed"),
        (refused, "Failed"),
    ):
        task = sync_and_wait(call.client, job_id, timeout=120)
        assert task["status"] == expected, task
        run_ids.append(task["file_path"])
        call("GET", f"{BASE}/jobs/{job_id}/tasks")
        call(
            "POST",
            f"{BASE}/jobs/{job_id}/tasks/{task['id']}/logs",
            json={"file_path": task["file_path"]},
        )
    for path in ("sources", "destinations", "jobs"):
        call("GET", f"{BASE}/{path}")

    import time

    time.sleep(2)  # flow-run logs reach the server 1-2 s after a run ends
    haystacks = list(call.bodies)
    with prefect_client(prefect_stack) as client:
        from prefect.client.schemas.filters import (
            ArtifactFilter,
            ArtifactFilterFlowRunId,
            LogFilter,
            LogFilterFlowRunId,
        )

        ids = [UUID(r) for r in run_ids]
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)))
        assert logs, "the runs wrote no logs: nothing was searched"
        haystacks += [log.message for log in logs]
        # The refused run (the last) failed where it should: at the destination, on its key.
        assert any(
            "wrong encryption_key" in log.message for log in logs if log.flow_run_id == ids[-1]
        ), [log.message for log in logs if log.flow_run_id == ids[-1]]
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
        )
        haystacks += [json.dumps(a.data, default=str) for a in artifacts]
        for run_id in ids:
            run = client.read_flow_run(run_id)
            haystacks.append(json.dumps(run.parameters, default=str))
            haystacks.append(str(run.state.message if run.state else ""))
        for deployment in client.read_deployments():
            haystacks.append(json.dumps(deployment.parameters, default=str))
    for log_file in (prefect_stack.data_dir / "logs").glob("*.log"):
        haystacks.append(log_file.read_text(errors="replace"))

    leaks = [h[:200] for h in haystacks if any(secret in h for secret in SECRETS)]
    assert not leaks, leaks
    with duckdb.connect() as con:  # the key was used: the rows are there, readable with it
        con.execute("ATTACH ? AS vault (ENCRYPTION_KEY ?, READ_ONLY)", [str(vault), DUCKDB_SECRET])
        assert con.execute(f"SELECT count(*) FROM vault.{SCHEMA}.t").fetchone() == (2,)
