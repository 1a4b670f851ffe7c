"""OLake job run endpoints on the real stack: sync, tasks, logs (both forms), cancel."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import unique
from tests.services import pg_source
from tests.stack import (
    BASE,
    FINAL,
    Stack,
    api_client,
    pg_execute,
    prefect_client,
    sync_and_wait,
    tasks,
    wait_for_task,
)

SCHEMA = "orch_test_runs"
pytestmark = pytest.mark.prefect


def assert_error(response: httpx.Response, status: int, text: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and text in body["message"], body


@pytest.fixture(scope="module")
def client(prefect_stack: Stack) -> Iterator[httpx.Client]:
    pg_execute(
        f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};"
        f"CREATE TABLE {SCHEMA}.items (id int PRIMARY KEY, name text);"
        f"INSERT INTO {SCHEMA}.items SELECT g, 'item ' || g FROM generate_series(1, 5) g;"
    )
    client = api_client(prefect_stack)
    yield client
    client.close()


def make_job(client: httpx.Client, out: Path, frequency: str = "0 0 * * *") -> dict[str, Any]:
    body = {
        "name": unique("runs"),
        "source": {
            "name": unique("pg"),
            "type": "postgres",
            "config": pg_source(SCHEMA),
        },
        "destination": {
            "name": unique("pq"),
            "type": "parquet",
            "config": json.dumps({"writer": {"local_path": str(out)}}),
        },
        "frequency": frequency,
    }
    response = client.post(f"{BASE}/jobs", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


@pytest.fixture(scope="module")
def done(client: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A job with one completed run whose logs have reached Prefect."""
    job = make_job(client, tmp_path_factory.mktemp("runs"))
    run = sync_and_wait(client, job["id"])
    assert run["status"] == "Completed", run
    path = f"{BASE}/jobs/{job['id']}/task/{run['id']}/logs"
    deadline = time.monotonic() + 10
    while "synced" not in json.dumps(client.get(path).json()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return {"job": job, "run": run}


class TestSync:
    def test_starts_a_run_at_once(self, client: httpx.Client, done: dict[str, Any]) -> None:
        # How fast is bench/orchestration.py's to measure; here: the run exists when it answers.
        response = client.post(f"{BASE}/jobs/{done['job']['id']}/sync")
        assert response.status_code == 200, response.text
        run_id = response.json()["message"].split("run ")[-1].rstrip(")")
        assert run_id in [t["id"] for t in tasks(client, done["job"]["id"])]

    def test_unknown_job_is_404(self, client: httpx.Client) -> None:
        assert_error(client.post(f"{BASE}/jobs/99999/sync"), 404)

    def test_paused_job_is_400(self, client: httpx.Client, tmp_path: Path) -> None:
        job = make_job(client, tmp_path)
        paused = client.post(f"{BASE}/jobs/{job['id']}/activate", json={"activate": False})
        assert paused.status_code == 200, paused.text
        response = client.post(f"{BASE}/jobs/{job['id']}/sync")
        assert_error(response, 400, "job is paused, please unpause to run sync")
        assert tasks(client, job["id"]) == []


class TestTasks:
    def test_shape_newest_first(self, client: httpx.Client, done: dict[str, Any]) -> None:
        rows = tasks(client, done["job"]["id"])
        assert rows[-1]["id"] == done["run"]["id"]  # the oldest run comes last
        row = rows[-1]
        assert set(row) >= {"id", "start_time", "runtime", "status", "file_path", "job_type"}
        assert (row["status"], row["file_path"], row["job_type"]) == (
            "Completed",
            row["id"],
            "sync",
        )

    def test_future_scheduled_runs_are_left_out(
        self, prefect_stack: Stack, client: httpx.Client, tmp_path: Path
    ) -> None:
        from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

        job = make_job(client, tmp_path, frequency="0 0 1 1 *")
        deployments = DeploymentFilter(name=DeploymentFilterName(any_=[job["name"]]))
        deadline = time.monotonic() + 30
        with prefect_client(prefect_stack) as prefect:
            # The scheduler pre-creates runs a few seconds after the deployment appears.
            while not prefect.read_flow_runs(deployment_filter=deployments):
                assert time.monotonic() < deadline, "the scheduler created no run"
                time.sleep(0.5)
        assert tasks(client, job["id"]) == []

    def test_unknown_job_is_404(self, client: httpx.Client) -> None:
        assert_error(client.get(f"{BASE}/jobs/99999/tasks"), 404)


class TestTaskLogs:
    """The contract's form: GET .../task/:id/logs -> {task_logs: [...]}."""

    def test_every_line(self, client: httpx.Client, done: dict[str, Any]) -> None:
        job, run = done["job"], done["run"]
        response = client.get(f"{BASE}/jobs/{job['id']}/task/{run['id']}/logs")
        assert response.status_code == 200, response.text
        lines = response.json()["data"]["task_logs"]
        assert any("synced 1/1 streams: 5 rows" in line["message"] for line in lines)
        assert all(set(line) == {"level", "time", "message"} for line in lines)

    def test_unknown_run_is_404(self, client: httpx.Client, done: dict[str, Any]) -> None:
        path = f"{BASE}/jobs/{done['job']['id']}/task"
        assert_error(client.get(f"{path}/00000000-0000-0000-0000-000000000000/logs"), 404)
        assert_error(client.get(f"{path}/not-a-run/logs"), 404)

    def test_run_of_another_job_is_404(
        self, client: httpx.Client, done: dict[str, Any], tmp_path: Path
    ) -> None:
        other = make_job(client, tmp_path)
        response = client.get(f"{BASE}/jobs/{other['id']}/task/{done['run']['id']}/logs")
        assert_error(response, 404)

    def test_unknown_job_is_404(self, client: httpx.Client, done: dict[str, Any]) -> None:
        assert_error(client.get(f"{BASE}/jobs/99999/task/{done['run']['id']}/logs"), 404)


class TestTaskLogsPage:
    """The shipped UI's form: POST .../tasks/:id/logs {file_path}, cursor/limit/direction."""

    def path(self, done: dict[str, Any]) -> str:
        return f"{BASE}/jobs/{done['job']['id']}/tasks/{done['run']['id']}/logs"

    def test_newest_page_first_then_older(self, client: httpx.Client, done: dict[str, Any]) -> None:
        body = {"file_path": done["run"]["file_path"]}
        every = client.post(self.path(done), json=body, params={"limit": 1000}).json()["data"]
        total = len(every["logs"])
        assert total >= 4 and every["has_more_older"] is False
        newest = client.post(self.path(done), json=body, params={"limit": 2}).json()["data"]
        assert newest["logs"] == every["logs"][-2:]
        assert (newest["has_more_older"], newest["has_more_newer"]) == (True, False)
        older = client.post(
            self.path(done),
            json=body,
            params={"limit": 2, "cursor": newest["older_cursor"], "direction": "older"},
        ).json()["data"]
        assert older["logs"] == every["logs"][-4:-2]
        newer = client.post(
            self.path(done),
            json=body,
            params={"limit": 2, "cursor": older["newer_cursor"], "direction": "newer"},
        ).json()["data"]
        assert newer["logs"] == newest["logs"]

    def test_unknown_run_is_404(self, client: httpx.Client, done: dict[str, Any]) -> None:
        path = f"{BASE}/jobs/{done['job']['id']}/tasks/x/logs"
        response = client.post(path, json={"file_path": "00000000-0000-0000-0000-000000000000"})
        assert_error(response, 404)

    def test_bad_direction_is_400(self, client: httpx.Client, done: dict[str, Any]) -> None:
        response = client.post(self.path(done), json={}, params={"direction": "sideways"})
        assert_error(response, 400, "direction")


class TestCancel:
    def test_nothing_to_cancel(self, client: httpx.Client, done: dict[str, Any]) -> None:
        wait_for_task(client, done["job"]["id"], FINAL)  # TestSync's run may still be going
        for method in ("GET", "POST"):
            response = client.request(method, f"{BASE}/jobs/{done['job']['id']}/cancel")
            assert response.status_code == 200, response.text
            assert response.json()["message"] == "no active run to cancel"

    def test_unknown_job_is_404(self, client: httpx.Client) -> None:
        assert_error(client.get(f"{BASE}/jobs/99999/cancel"), 404)
        assert_error(client.post(f"{BASE}/jobs/99999/cancel"), 404)
