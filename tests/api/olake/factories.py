"""Factories for OLake records through the API: the data a test uses stays visible in the test."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from metadata.db import session_scope
from metadata.models import Project
from metadata.projects import add_member
from metadata.users import read_user
from tests.conftest import unique
from tests.services import pg_source

BASE = "/api/v1/project/123"
PG_CONFIG = pg_source(password="pg-secret-123")
PARQUET_CONFIG = {"type": "PARQUET", "writer": {"local_path": "/tmp/olake-tests-parquet"}}


def make_source(
    client: TestClient,
    *,
    name: str | None = None,
    type: str = "postgres",
    config: dict[str, Any] | None = None,
    project: str = "123",
) -> dict[str, Any]:
    body = {"name": name or unique("src"), "type": type, "config": config or dict(PG_CONFIG)}
    response = client.post(f"/api/v1/project/{project}/sources", json=body)
    assert response.status_code == 200, response.text
    return _with_id(client, f"/api/v1/project/{project}/sources", body["name"])


def make_destination(
    client: TestClient,
    *,
    name: str | None = None,
    type: str = "parquet",
    config: dict[str, Any] | None = None,
    project: str = "123",
) -> dict[str, Any]:
    body = {"name": name or unique("dst"), "type": type, "config": config or dict(PARQUET_CONFIG)}
    response = client.post(f"/api/v1/project/{project}/destinations", json=body)
    assert response.status_code == 200, response.text
    return _with_id(client, f"/api/v1/project/{project}/destinations", body["name"])


def _with_id(client: TestClient, path: str, name: str) -> dict[str, Any]:
    rows = client.get(path).json()["data"]
    return next(row for row in rows if row["name"] == name)


def make_job(
    client: TestClient,
    *,
    name: str | None = None,
    source: dict[str, Any] | None = None,
    destination: dict[str, Any] | None = None,
    frequency: str = "*/30 * * * *",
    streams_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    source = source or make_source(client)
    destination = destination or make_destination(client)
    body = {
        "name": name or unique("job"),
        "source": {"name": source["name"], "type": source["type"]},
        "destination": {"name": destination["name"], "type": destination["type"]},
        "frequency": frequency,
        "streams_config": streams_config or {"selected_streams": {}, "streams": []},
    }
    response = client.post(f"{BASE}/jobs", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def join_project(app: FastAPI, project: str, username: str, role: str) -> None:
    """Make `username` a member of `project` (created if missing) with `role`."""
    with session_scope(app.state.session_factory) as db:
        if db.get(Project, project) is None:
            db.add(Project(id=project, name=project))
            db.flush()
        found = read_user(db, username=username)
        assert found is not None
        add_member(db, project_id=project, user=found, role=role)
