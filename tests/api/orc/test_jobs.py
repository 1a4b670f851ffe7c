"""orc-rust-ator jobs: create with tasks, list, read; they are OLake jobs too."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.orc.test_auth import assert_orc_error, orc_token
from tests.conftest import unique


def job_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "job_name": unique("orc-job"),
        "description": "two tasks",
        "schedule": "0 0 9 * * *",
        "is_active": True,
        "tasks": [
            {
                "extractor_config": {"type": "csv", "path": "/tmp/in.csv"},
                "loader_config": {"type": "duckdb", "db_path": "/tmp/o.db", "table_name": "a"},
            },
            {
                "extractor_config": {"type": "api", "url": "http://127.0.0.1:9/items"},
                "loader_config": {"type": "duckdb", "db_path": "/tmp/o.db", "table_name": "b"},
            },
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {orc_token(client)}"}


class TestCreateJob:
    def test_creates_job_with_tasks(self, client: TestClient, auth: dict[str, str]) -> None:
        body = job_body()
        response = client.post("/jobs", json=body, headers=auth)
        assert response.status_code == 200, response.text
        job = response.json()
        assert job["job_name"] == body["job_name"] and job["schedule"] == "0 0 9 * * *"
        assert len(job["job_id"]) == 36
        assert [t["task_order"] for t in job["tasks"]] == [1, 2]
        assert job["tasks"][0]["extractor_config"] == {"type": "csv", "path": "/tmp/in.csv"}
        assert job["tasks"][1]["loader_config"]["table_name"] == "b"
        assert all(len(t["task_id"]) == 36 and t["job_id"] == job["job_id"] for t in job["tasks"])

    @pytest.mark.parametrize("schedule", ["@manual", "*/5 * * * *", "0 30 6 * * 1-5"])
    def test_accepted_schedules(
        self, client: TestClient, auth: dict[str, str], schedule: str
    ) -> None:
        response = client.post("/jobs", json=job_body(schedule=schedule), headers=auth)
        assert response.status_code == 200, response.text

    def test_seconds_other_than_zero_is_400(self, client: TestClient, auth: dict[str, str]) -> None:
        response = client.post("/jobs", json=job_body(schedule="30 0 9 * * *"), headers=auth)
        assert_orc_error(response, 400, "minute resolution")

    def test_unknown_extractor_is_400(self, client: TestClient, auth: dict[str, str]) -> None:
        tasks = [{"extractor_config": {"type": "ftp"}, "loader_config": {"type": "duckdb"}}]
        assert_orc_error(client.post("/jobs", json=job_body(tasks=tasks), headers=auth), 400, "ftp")

    def test_no_tasks_is_400(self, client: TestClient, auth: dict[str, str]) -> None:
        assert_orc_error(client.post("/jobs", json=job_body(tasks=[]), headers=auth), 400, "tasks")

    def test_duplicate_name_is_400(self, client: TestClient, auth: dict[str, str]) -> None:
        body = job_body()
        client.post("/jobs", json=body, headers=auth)
        assert_orc_error(client.post("/jobs", json=body, headers=auth), 400, "exists")

    def test_without_token_is_401(self, client: TestClient) -> None:
        assert_orc_error(client.post("/jobs", json=job_body()), 401)


class TestListJobs:
    def test_lists_jobs_from_both_dialects(self, client: TestClient, auth: dict[str, str]) -> None:
        created = client.post("/jobs", json=job_body(), headers=auth).json()
        jobs = client.get("/jobs", headers=auth).json()
        assert [j["job_id"] for j in jobs] == [created["job_id"]]
        olake = client.get("/api/v1/project/123/jobs", headers=auth).json()["data"]
        assert [j["name"] for j in olake] == [created["job_name"]]


class TestReadJob:
    def test_reads_with_tasks(self, client: TestClient, auth: dict[str, str]) -> None:
        created = client.post("/jobs", json=job_body(), headers=auth).json()
        response = client.get(f"/jobs/{created['job_id']}", headers=auth)
        assert response.status_code == 200 and response.json() == created

    def test_unknown_is_404(self, client: TestClient, auth: dict[str, str]) -> None:
        assert_orc_error(
            client.get("/jobs/7d3c1e6a-0000-4000-8000-000000000000", headers=auth), 404
        )

    def test_not_a_uuid_is_404(self, client: TestClient, auth: dict[str, str]) -> None:
        assert_orc_error(client.get("/jobs/not-a-uuid", headers=auth), 404)


class TestRunJob:
    def test_unknown_is_404(self, client: TestClient, auth: dict[str, str]) -> None:
        assert_orc_error(client.post("/jobs/nope/run", headers=auth), 404)

    def test_without_token_is_401(self, client: TestClient) -> None:
        assert_orc_error(client.post("/jobs/nope/run"), 401)


class TestRuns:
    def test_unknown_run_is_404(self, client: TestClient, auth: dict[str, str]) -> None:
        assert_orc_error(client.get("/runs/not-a-run", headers=auth), 404)

    def test_without_token_is_401(self, client: TestClient) -> None:
        assert_orc_error(client.get("/runs"), 401)
