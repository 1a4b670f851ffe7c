"""Every project route: strangers get 403/404 and no data; read-only members change nothing."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.olake.factories import join_project
from tests.conftest import login, signup

# POST routes that only read: a read-only member may call them.
READ_ONLY_POSTS = {"spec", "check-unique", "stream-difference", "logs"}


def project_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route with a project in its path, from the OpenAPI document."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if "{project_id}" in path
        for method in operations
    ]


def concrete(path: str, project: str) -> str:
    path = path.replace("{project_id}", project)
    return re.sub(r"\{[a-z_]+\}", "1", path)


class TestStrangers:
    def test_every_route_refuses_a_non_member(
        self, client: TestClient, anon: TestClient, app: FastAPI
    ) -> None:
        owner = signup(client)
        join_project(app, "private", owner, "admin")
        stranger = signup(anon)
        headers = {"Authorization": f"Bearer {login(anon, stranger)}"}
        routes = project_routes(app)
        assert len(routes) >= 25
        for method, path in routes:
            response = anon.request(method, concrete(path, "private"), json={}, headers=headers)
            assert response.status_code in (403, 404), (method, path, response.text)
            body = response.json()
            assert body["success"] is False and body.get("data") is None, (method, path)

    def test_unknown_project_is_404_everywhere(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        for method, path in project_routes(app):
            response = client.request(method, concrete(path, "no-such-project"), json={})
            assert response.status_code == 404, (method, path, response.text)


class TestReadOnlyMembers:
    def test_cannot_change_anything(
        self, client: TestClient, anon: TestClient, app: FastAPI
    ) -> None:
        reader = signup(anon)
        join_project(app, "shared", reader, "read")
        headers = {"Authorization": f"Bearer {login(anon, reader)}"}
        for method, path in project_routes(app):
            last = path.rstrip("/").rsplit("/", 1)[-1]
            if method == "GET" or (method == "POST" and last in READ_ONLY_POSTS):
                continue
            response = anon.request(method, concrete(path, "shared"), json={}, headers=headers)
            assert response.status_code == 403, (method, path, response.text)
            assert "role" in response.json()["message"]

    def test_can_read(self, client: TestClient, anon: TestClient, app: FastAPI) -> None:
        reader = signup(anon)
        join_project(app, "shared", reader, "read")
        headers = {"Authorization": f"Bearer {login(anon, reader)}"}
        for path in ("sources", "destinations", "jobs"):
            assert anon.get(f"/api/v1/project/shared/{path}", headers=headers).status_code == 200


@pytest.mark.parametrize("project", ["123", "olake"])
def test_default_project_members_by_signup(client: TestClient, user: str, project: str) -> None:
    assert client.get(f"/api/v1/project/{project}/jobs").status_code == 200
