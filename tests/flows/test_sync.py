"""The sync-job flow end to end: OLake API -> Prefect deployment -> worker -> Parquet files."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from connectors import runner
from tests.conftest import unique
from tests.services import pg_source
from tests.stack import (
    BASE,
    Stack,
    api_client,
    pg_execute,
    prefect_client,
    sync,
    sync_and_wait,
    tasks,
    wait_for_task,
)

SCHEMA = "orch_test"
PASSWORD = "orch-e2e-secret-42"


def seed() -> None:
    pg_execute(
        f"""
        DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
        CREATE SCHEMA {SCHEMA};
        CREATE TABLE {SCHEMA}.orders (id int PRIMARY KEY, amount numeric(10, 2), note text);
        INSERT INTO {SCHEMA}.orders SELECT g, g * 1.5, 'order ' || g FROM generate_series(1, 50) g;
        -- A view that streams slowly (2 ms a row): long enough to cancel mid-copy.
        CREATE FUNCTION {SCHEMA}.slow_id(i int) RETURNS int LANGUAGE sql VOLATILE
            AS $$ SELECT i FROM (SELECT pg_sleep(0.002)) s $$;
        CREATE SCHEMA IF NOT EXISTS {SCHEMA}_slow;
        CREATE OR REPLACE VIEW {SCHEMA}_slow.crawl AS
            SELECT {SCHEMA}.slow_id(g) AS id, repeat('x', 200) AS pad
            FROM generate_series(1, 100000) g;
        """
    )


def source_config(schema: str) -> dict[str, Any]:
    # Trust auth ignores the password; it must never show in a log.
    return pg_source(schema, password=PASSWORD)


def incremental_catalog(schema: str) -> dict[str, Any]:
    catalog = runner.discover("postgres", None, source_config(schema))
    for item in catalog["streams"]:
        item["stream"].update(sync_mode="incremental", cursor_field="id")
    return catalog


def make_job(
    client: httpx.Client, schema: str, out: Path, *, streams_config: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = {
        "name": unique("orders"),
        "source": {"name": unique("pg"), "type": "postgres", "config": source_config(schema)},
        "destination": {
            "name": unique("pq"),
            "type": "parquet",
            "config": {"type": "PARQUET", "writer": {"local_path": str(out)}},
        },
        "frequency": "*/30 * * * *",
        "streams_config": json.dumps(streams_config or {}),
    }
    response = client.post(f"{BASE}/jobs", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def deployment_of(stack: Stack, job_name: str) -> Any:
    with prefect_client(stack) as prefect:
        return prefect.read_deployment_by_name(f"sync-job/{job_name}")


def parquet_ids(out: Path) -> list[int]:
    return sorted(pq.read_table(out / SCHEMA / "orders").column("id").to_pylist())


@pytest.fixture(scope="module")
def client(prefect_stack: Stack) -> Iterator[httpx.Client]:
    seed()
    client = api_client(prefect_stack)
    yield client
    client.close()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("parquet")


@pytest.fixture(scope="module")
def job(client: httpx.Client, out: Path) -> dict[str, Any]:
    return make_job(client, SCHEMA, out, streams_config=incremental_catalog(SCHEMA))


@pytest.mark.prefect
class TestSyncJob:
    """One job through its life; the tests build on each other, in this order."""

    def test_deployment_mirrors_the_job(self, prefect_stack: Stack, job: dict[str, Any]) -> None:
        deployment = deployment_of(prefect_stack, job["name"])
        assert deployment.parameters == {"job_id": job["id"]}
        assert [s.schedule.cron for s in deployment.schedules] == ["*/30 * * * *"]
        assert {"project:olake", "source:postgres", "destination:parquet"} <= set(deployment.tags)
        assert deployment.global_concurrency_limit.limit == 1
        assert deployment.concurrency_options.collision_strategy.value == "CANCEL_NEW"
        assert deployment.work_pool_name == "olake" and deployment.paused is False
        assert job["name"] in (deployment.description or "")

    def test_sync_copies_the_table(
        self, client: httpx.Client, job: dict[str, Any], out: Path
    ) -> None:
        started = time.monotonic()
        run = sync_and_wait(client, job["id"])
        assert run["status"] == "Completed", run
        assert run["file_path"] == run["id"] and isinstance(run["runtime"], int)
        assert time.monotonic() - started < 30
        assert parquet_ids(out) == list(range(1, 51))
        listed = client.get(f"{BASE}/jobs").json()["data"]
        assert next(j for j in listed if j["id"] == job["id"])["last_run_state"] == "Completed"

    def test_logs_tell_the_story_without_secrets(
        self, client: httpx.Client, job: dict[str, Any]
    ) -> None:
        run = tasks(client, job["id"])[0]
        deadline = time.monotonic() + 10  # logs are sent before the end; margin for a slow server
        while True:
            page = client.post(
                f"{BASE}/jobs/{job['id']}/tasks/{run['id']}/logs",
                json={"file_path": run["file_path"]},
            ).json()["data"]
            text = "\n".join(line["message"] for line in page["logs"])
            if "synced 1/1 streams" in text or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert "synced 1/1 streams: 50 rows" in text
        assert "orch_test.orders: incremental sync starts" in text
        assert PASSWORD not in text
        assert {line["level"] for line in page["logs"]} <= {"info", "warning", "error", "critical"}
        contract = client.get(f"{BASE}/jobs/{job['id']}/task/{run['id']}/logs").json()["data"]
        assert len(contract["task_logs"]) >= len(page["logs"])

    def test_artifact_lists_each_stream(self, prefect_stack: Stack, job: dict[str, Any]) -> None:
        with prefect_client(prefect_stack) as prefect:
            artifact = prefect.read_latest_artifacts()
        rows = [
            row
            for a in artifact
            if a.key == f"olake-job-{job['id']}"
            for row in (json.loads(a.data) if isinstance(a.data, str) else a.data)
        ]
        assert rows and rows[0]["stream"] == "orch_test.orders"
        assert (rows[0]["sync_mode"], rows[0]["rows"]) == ("incremental", 50)

    def test_incremental_sync_adds_only_new_rows(
        self, client: httpx.Client, job: dict[str, Any], out: Path
    ) -> None:
        pg_execute(
            f"INSERT INTO {SCHEMA}.orders SELECT g, g, 'late' FROM generate_series(51, 60) g"
        )
        run = sync_and_wait(client, job["id"])
        assert run["status"] == "Completed", run
        assert parquet_ids(out) == list(range(1, 61))  # no duplicates of the first 50

    def test_deactivate_pauses_the_schedule(
        self, prefect_stack: Stack, client: httpx.Client, job: dict[str, Any]
    ) -> None:
        path = f"{BASE}/jobs/{job['id']}"
        assert client.post(f"{path}/activate", json={"activate": False}).status_code == 200
        assert deployment_of(prefect_stack, job["name"]).paused is True
        refused = client.post(f"{path}/sync")
        assert refused.status_code == 400
        assert refused.json()["message"] == "job is paused, please unpause to run sync"
        assert client.put(path, json={"activate": True}).status_code == 200
        assert deployment_of(prefect_stack, job["name"]).paused is False

    def test_update_changes_the_schedule(
        self, prefect_stack: Stack, client: httpx.Client, job: dict[str, Any]
    ) -> None:
        response = client.put(f"{BASE}/jobs/{job['id']}", json={"frequency": "2-hours"})
        assert response.status_code == 200, response.text
        deployment = deployment_of(prefect_stack, job["name"])
        assert [s.schedule.cron for s in deployment.schedules] == ["0 */2 * * *"]

    def test_lost_deployment_is_recreated(
        self, prefect_stack: Stack, client: httpx.Client, job: dict[str, Any]
    ) -> None:
        with prefect_client(prefect_stack) as prefect:
            prefect.delete_deployment(deployment_of(prefect_stack, job["name"]).id)
        run = sync_and_wait(client, job["id"])
        assert run["status"] == "Completed", run
        assert deployment_of(prefect_stack, job["name"]).parameters == {"job_id": job["id"]}

    def test_delete_removes_the_deployment(
        self, prefect_stack: Stack, client: httpx.Client, job: dict[str, Any]
    ) -> None:
        from prefect.exceptions import ObjectNotFound

        assert client.delete(f"{BASE}/jobs/{job['id']}").status_code == 200
        with pytest.raises(ObjectNotFound):
            deployment_of(prefect_stack, job["name"])
        assert client.get(f"{BASE}/jobs/{job['id']}").status_code == 404


def backend_queries() -> list[Any]:
    return pg_execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'prefect-olake' "
        "AND query ILIKE '%crawl%' AND query NOT ILIKE '%pg_stat_activity%'"
    )


@pytest.mark.prefect
class TestCancel:
    def test_cancel_stops_the_run_and_its_query(self, client: httpx.Client, out: Path) -> None:
        job = make_job(client, f"{SCHEMA}_slow", out / "slow")
        run_id = sync(client, job["id"])
        wait_for_task(client, job["id"], {"Running"}, run_id=run_id, timeout=60)
        deadline = time.monotonic() + 30
        while not backend_queries():
            assert time.monotonic() < deadline, "the slow copy never started"
            time.sleep(0.3)
        response = client.get(f"{BASE}/jobs/{job['id']}/cancel")
        assert response.status_code == 200 and run_id in response.json()["message"]
        run = wait_for_task(client, job["id"], {"Canceled", "Completed", "Failed"}, timeout=45)
        assert run["status"] == "Canceled", run
        # The engine reports Canceled first, then the process ends (1 s later at most), which
        # closes its connections: the server ends the COPY at its next write.
        deadline = time.monotonic() + 10
        while backend_queries():
            assert time.monotonic() < deadline, "the source query outlived the run"
            time.sleep(0.2)
        assert not (out / "slow" / f"{SCHEMA}_slow" / "crawl").exists()  # nothing half-written


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local Slack-like webhook that records what it receives."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


@pytest.mark.prefect
class TestFailure:
    def test_config_error_fails_at_once_with_the_message(
        self, client: httpx.Client, out: Path, webhook: tuple[str, list[dict[str, Any]]]
    ) -> None:
        url, alerts = webhook
        response = client.put(f"{BASE}/settings", json={"webhook_alert_url": url})
        assert response.status_code == 200, response.text
        job = make_job(client, SCHEMA, out / "bad")
        config = dict(source_config(SCHEMA), database="no_such_database")
        body = {"source": {"name": job["source"]["name"], "type": "postgres", "config": config}}
        assert client.put(f"{BASE}/jobs/{job['id']}", json=body).status_code == 200
        started = time.monotonic()
        run = sync_and_wait(client, job["id"])
        assert run["status"] == "Failed", run
        assert time.monotonic() - started < 20  # no retry of a config error
        logs = client.get(f"{BASE}/jobs/{job['id']}/task/{run['id']}/logs").json()["data"]
        text = "\n".join(line["message"] for line in logs["task_logs"])
        assert "check failed" in text and "no_such_database" in text
        assert PASSWORD not in text
        assert list((out / "bad").rglob("*.parquet")) == []  # the check made the folder only
        deadline = time.monotonic() + 10  # the failure hook runs once the state is recorded
        while not alerts and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(alerts) == 1 and alerts[0]["text"].startswith(f"{job['name']} failed: ")
        assert "no_such_database" in alerts[0]["text"] and PASSWORD not in alerts[0]["text"]
        client.put(f"{BASE}/settings", json={"webhook_alert_url": ""})
