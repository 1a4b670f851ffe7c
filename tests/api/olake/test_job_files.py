"""The shipped UI's job extras on a real stack: clear-destination and the logs download."""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.services import pg_source
from tests.stack import BASE, Stack, api_client, pg_execute, sync_and_wait, tasks, wait_for_task

SCHEMA = "ui_extras"


@pytest.fixture(scope="module")
def client(prefect_stack: Stack) -> Iterator[httpx.Client]:
    pg_execute(
        f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};"
        f"CREATE TABLE {SCHEMA}.a (id int primary key); INSERT INTO {SCHEMA}.a VALUES (1), (2);"
        f"CREATE TABLE {SCHEMA}.b (id int primary key); INSERT INTO {SCHEMA}.b VALUES (3);"
    )
    client = api_client(prefect_stack)
    yield client
    client.close()


@pytest.fixture(scope="module")
def synced(client: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A job of two streams, synced once."""
    out = tmp_path_factory.mktemp("lake")
    name = f"extras-{uuid.uuid4().hex[:6]}"
    body = {
        "name": name,
        "source": {
            "name": f"{name}-pg",
            "type": "postgres",
            "config": pg_source(SCHEMA, password="x"),
        },
        "destination": {
            "name": f"{name}-pq",
            "type": "parquet",
            "config": {"local_path": str(out)},
        },
        "frequency": "0 5 * * *",
    }
    response = client.post(f"{BASE}/jobs", json=body)
    assert response.status_code == 200, response.text
    job = response.json()["data"]
    task = sync_and_wait(client, job["id"], timeout=90)
    assert task["status"] == "Completed", task
    assert (out / SCHEMA / "a").is_dir() and (out / SCHEMA / "b").is_dir()
    return {"job": job, "out": out, "task": task}


def _selection(*names: str) -> dict[str, Any]:
    return {"selected_streams": {SCHEMA: [{"stream_name": n} for n in names]}, "streams": []}


class TestLogsDownload:
    def test_tar_gz_of_logs_and_state(self, client: httpx.Client, synced: dict[str, Any]) -> None:
        job, task = synced["job"], synced["task"]
        time.sleep(2)  # logs reach Prefect 1-2 s after the run ends
        response = client.get(
            f"{BASE}/jobs/{job['id']}/logs/download", params={"file_path": task["file_path"]}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/gzip"
        assert "attachment" in response.headers["content-disposition"]
        with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
            names = archive.getnames()
            log = archive.extractfile(f"{task['file_path']}/olake.log").read().decode()  # type: ignore[union-attr]
            state = json.loads(archive.extractfile(f"{task['file_path']}/state.json").read())  # type: ignore[union-attr]
        assert len(names) == 2 and log.strip()
        assert all(json.loads(line)["message"] for line in log.splitlines())
        assert state["type"] == "STREAM"

    def test_unknown_run_is_404(self, client: httpx.Client, synced: dict[str, Any]) -> None:
        response = client.get(
            f"{BASE}/jobs/{synced['job']['id']}/logs/download",
            params={"file_path": str(uuid.uuid4())},
        )
        assert response.status_code == 404 and response.json()["success"] is False

    def test_missing_file_path_is_400(self, client: httpx.Client, synced: dict[str, Any]) -> None:
        assert client.get(f"{BASE}/jobs/{synced['job']['id']}/logs/download").status_code == 400


class TestClearDestination:
    def test_clears_one_stream_as_a_run(self, client: httpx.Client, synced: dict[str, Any]) -> None:
        job, out = synced["job"], synced["out"]
        response = client.post(
            f"{BASE}/jobs/{job['id']}/clear-destination",
            json={"streams_config": json.dumps(_selection("a"))},
        )
        assert response.status_code == 200, response.text
        run_id = response.json()["data"]["run_id"]
        assert response.json()["data"]["streams"] == [f"{SCHEMA}.a"]
        run = wait_for_task(client, job["id"], {"Completed", "Failed"}, run_id=run_id, timeout=60)
        assert run["status"] == "Completed" and run["job_type"] == "clear"
        assert not (out / SCHEMA / "a").exists() or not list((out / SCHEMA / "a").glob("*.parquet"))
        assert list((out / SCHEMA / "b").glob("*.parquet"))
        status = client.get(f"{BASE}/jobs/{job['id']}/clear-destination")
        assert status.status_code == 200 and status.json()["data"] == {"running": False}
        assert any(t["job_type"] == "sync" for t in tasks(client, job["id"]))

    def test_update_with_difference_streams_clears_them(
        self, client: httpx.Client, synced: dict[str, Any]
    ) -> None:
        job, out = synced["job"], synced["out"]
        body = {"difference_streams": _selection("b")}
        response = client.put(f"{BASE}/jobs/{job['id']}", json=body)
        assert response.status_code == 200, response.text
        assert "clearing 1 changed stream" in response.json()["message"]
        run = wait_for_task(client, job["id"], {"Completed", "Failed"}, timeout=60)
        assert run["job_type"] == "clear" and run["status"] == "Completed"
        assert (
            not list((out / SCHEMA / "b").glob("*.parquet"))
            if (out / SCHEMA / "b").exists()
            else True
        )

    def test_nothing_selected_is_400(self, client: httpx.Client, synced: dict[str, Any]) -> None:
        response = client.post(
            f"{BASE}/jobs/{synced['job']['id']}/clear-destination", json={"streams_config": {}}
        )
        assert response.status_code == 400 and "no stream" in response.json()["message"]

    def test_unknown_job_is_404(self, client: httpx.Client, synced: dict[str, Any]) -> None:
        response = client.post(
            f"{BASE}/jobs/999999/clear-destination", json={"streams_config": _selection("a")}
        )
        assert response.status_code == 404
        assert client.get(f"{BASE}/jobs/999999/clear-destination").status_code == 404
