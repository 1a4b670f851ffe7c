"""A planted secret never leaves: not in API responses, Prefect logs, artifacts, parameters or logs.

Secrets planted: a Postgres source password and an HTTP API source's header token. The check,
discover and sync paths run for real on the session stack, including a sync that fails.
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

import httpx
import pytest

from tests.stack import BASE, Stack, api_client, pg_execute, prefect_client, sync_and_wait

SECRET = f"planted-{uuid.uuid4().hex}"
HEADER_SECRET = f"token-{uuid.uuid4().hex}"
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


def _job(call: Recorder, name: str, source: dict[str, Any], out: Path) -> int:
    body = {
        "name": name,
        "source": source,
        "destination": {
            "name": f"{name}-dst",
            "type": "parquet",
            "config": {"local_path": str(out)},
        },
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
    pg = {
        "host": "127.0.0.1",
        "port": 5432,
        "database": "test",
        "username": "postgres",
        "password": SECRET,
        "schemas": [SCHEMA],
    }
    api = {"url": items_api, "headers": {"Authorization": f"Bearer {HEADER_SECRET}"}}

    for kind, type_, config in (("sources", "postgres", pg), ("sources", "api", api)):
        assert (
            call("POST", f"{BASE}/{kind}/test", json={"type": type_, "config": config}).status_code
            == 200
        )
    assert (
        call("POST", f"{BASE}/sources/streams", json={"type": "postgres", "config": pg}).status_code
        == 200
    )

    good = _job(
        call,
        f"secret-pg-{uuid.uuid4().hex[:6]}",
        {"name": f"pg-{uuid.uuid4().hex[:6]}", "type": "postgres", "config": pg},
        tmp_path / "a",
    )
    api_job = _job(
        call,
        f"secret-api-{uuid.uuid4().hex[:6]}",
        {"name": f"api-{uuid.uuid4().hex[:6]}", "type": "api", "config": api},
        tmp_path / "b",
    )
    broken = dict(pg, database=f"no_db_{uuid.uuid4().hex[:6]}")  # this run fails
    failing = _job(
        call,
        f"secret-bad-{uuid.uuid4().hex[:6]}",
        {"name": f"bad-{uuid.uuid4().hex[:6]}", "type": "postgres", "config": broken},
        tmp_path / "c",
    )

    run_ids = []
    for job_id, expected in ((good, "Completed"), (api_job, "Completed"), (failing, "Failed")):
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

    leaks = [h[:200] for h in haystacks if SECRET in h or HEADER_SECRET in h]
    assert not leaks, leaks
