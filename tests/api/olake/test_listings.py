"""Cached list answers (api.services.listings) never outlive a change they show."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from metadata.db import session_scope
from metadata.models import Job
from metadata.runs import record_run
from tests.api.olake.factories import BASE, PG_CONFIG, make_job


def _job_row(client: TestClient, id: int) -> dict[str, Any]:
    rows = client.get(f"{BASE}/jobs").json()["data"]
    return next(row for row in rows if row["id"] == id)


def _source_jobs(client: TestClient, source_id: int) -> list[dict[str, Any]]:
    rows = client.get(f"{BASE}/sources").json()["data"]
    return next(row for row in rows if row["id"] == source_id)["jobs"]


class TestListFreshness:
    def test_a_run_recorded_elsewhere_shows_at_once(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        job = make_job(client)
        assert _job_row(client, job["id"])["last_run_state"] is None  # now cached
        # As a flow does: its own session, not the API's.
        with session_scope(app.state.session_factory) as db:
            record_run(db, flow_run_id="run-1", job_id=job["id"], state="Running")
        assert _job_row(client, job["id"])["last_run_state"] == "Running"
        read = client.get(f"{BASE}/jobs/{job['id']}").json()["data"]
        assert read["last_run_state"] == "Running"
        assert _source_jobs(client, job["source"]["id"])[0]["last_run_state"] == "Running"
        with session_scope(app.state.session_factory) as db:
            record_run(db, flow_run_id="run-1", job_id=job["id"], state="Completed")
        assert _job_row(client, job["id"])["last_run_state"] == "Completed"
        assert _source_jobs(client, job["source"]["id"])[0]["last_run_state"] == "Completed"

    def test_api_writes_show_at_once(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        _job_row(client, job["id"])
        client.get(f"{BASE}/jobs/{job['id']}")
        response = client.put(f"{BASE}/jobs/{job['id']}", json={"name": "renamed"})
        assert response.status_code == 200, response.text
        assert _job_row(client, job["id"])["name"] == "renamed"
        assert client.get(f"{BASE}/jobs/{job['id']}").json()["data"]["name"] == "renamed"
        assert client.delete(f"{BASE}/jobs/{job['id']}").status_code == 200
        assert client.get(f"{BASE}/jobs").json()["data"] == []
        assert client.get(f"{BASE}/jobs/{job['id']}").status_code == 404

    def test_a_bulk_update_shows_at_once(self, client: TestClient, user: str, app: FastAPI) -> None:
        job = make_job(client)
        _job_row(client, job["id"])
        with session_scope(app.state.session_factory) as db:
            db.execute(update(Job).where(Job.id == job["id"]).values(frequency="0 1 * * *"))
        assert _job_row(client, job["id"])["frequency"] == "0 1 * * *"

    def test_a_source_change_shows_in_the_job_list(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        source = job["source"]
        _job_row(client, job["id"])
        body = {"name": "renamed-src", "type": source["type"], "config": dict(PG_CONFIG)}
        response = client.put(f"{BASE}/sources/{source['id']}", json=body)
        assert response.status_code == 200, response.text
        assert _job_row(client, job["id"])["source"]["name"] == "renamed-src"
