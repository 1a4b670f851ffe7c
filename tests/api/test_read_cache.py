"""Answers kept by api.read_cache: served again for one query, never to a caller or at a
revision they do not belong to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event

from metadata.db import session_scope
from metadata.jobs import read_job, soft_delete_job
from metadata.models import Membership
from metadata.runs import record_run
from metadata.users import read_user
from tests.api.olake.factories import BASE, join_project, make_job
from tests.conftest import login, signup

PRIVATE = "/api/v1/project/private"


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run meanwhile, on any engine, in any thread."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def bearer(client: TestClient, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, username)}"}


class TestServedAgain:
    def test_a_polled_list_costs_one_query_and_keeps_its_rate_limit_headers(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        make_job(client)
        for path in ("/jobs", "/sources", "/destinations", "/auth/check"):
            url = path if path.startswith("/auth") else f"{BASE}{path}"
            first = client.get(url)
            assert first.status_code == 200, first.text
            with statements() as seen:
                again = client.get(url)
            assert again.status_code == 200
            assert again.content == first.content
            assert again.headers["content-type"] == "application/json"
            assert len(seen) == 1 and "revisions" in seen[0], (path, seen)
            remaining = int(first.headers["x-ratelimit-remaining"])
            assert int(again.headers["x-ratelimit-remaining"]) == remaining - 1

    def test_a_run_recorded_by_another_process_is_seen_at_once(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        job = make_job(client)
        client.get(f"{BASE}/jobs/{job['id']}")
        assert client.get(f"{BASE}/jobs/{job['id']}").json()["data"]["last_run_state"] is None
        with session_scope(app.state.session_factory) as db:  # as a flow does
            record_run(db, flow_run_id="run-kept", job_id=job["id"], state="Running")
        with statements() as seen:
            read = client.get(f"{BASE}/jobs/{job['id']}")
        assert read.json()["data"]["last_run_state"] == "Running"
        assert int(read.headers["content-length"]) == len(read.content)
        # Built again from the list caches, without routing: the caller was not looked up.
        assert seen and not any("sessions" in sql or "memberships" in sql for sql in seen), seen

    def test_a_moved_on_answer_is_taken_from_the_list_another_request_built(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        job = make_job(client)
        for _ in range(2):
            client.get(f"{BASE}/jobs/{job['id']}")
        with session_scope(app.state.session_factory) as db:
            record_run(db, flow_run_id="run-listed", job_id=job["id"], state="Running")
        assert client.get(f"{BASE}/jobs").status_code == 200  # the UI polls the list too
        with statements() as seen:
            read = client.get(f"{BASE}/jobs/{job['id']}")
        assert read.json()["data"]["last_run_state"] == "Running"
        assert len(seen) == 1 and "revisions" in seen[0], seen

    def test_a_job_deleted_by_another_process_is_404_not_its_kept_answer(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        job = make_job(client)
        for _ in range(2):
            assert client.get(f"{BASE}/jobs/{job['id']}").status_code == 200
        with session_scope(app.state.session_factory) as db:
            soft_delete_job(db, read_job(db, project_id="olake", id=job["id"]))
        response = client.get(f"{BASE}/jobs/{job['id']}")
        assert response.status_code == 404
        assert response.json()["success"] is False

    def test_errors_are_not_kept(self, client: TestClient, user: str) -> None:
        assert client.get(f"{BASE}/jobs/424242").status_code == 404
        job = make_job(client)
        assert client.get(f"{BASE}/jobs/{job['id']}").status_code == 200
        assert client.get(f"{BASE}/jobs/424242").status_code == 404


class TestCallers:
    def test_a_stranger_never_gets_a_kept_answer(
        self, client: TestClient, anon: TestClient, app: FastAPI
    ) -> None:
        owner = signup(client)
        join_project(app, "private", owner, "admin")
        owner_headers = bearer(client, owner)
        for _ in range(2):
            assert client.get(f"{PRIVATE}/jobs", headers=owner_headers).status_code == 200
        stranger = signup(anon)
        stranger_headers = bearer(anon, stranger)
        for _ in range(2):  # the second time, the stranger is a known caller
            response = anon.get(f"{PRIVATE}/jobs", headers=stranger_headers)
            assert response.status_code in (403, 404)
            assert response.json()["success"] is False and response.json().get("data") is None
        # Nor a caller with no token, or a forged one.
        nobody = TestClient(app)
        assert nobody.get(f"{PRIVATE}/jobs").status_code == 401
        forged = {"Authorization": owner_headers["Authorization"][:-2] + "xx"}
        assert nobody.get(f"{PRIVATE}/jobs", headers=forged).status_code == 401

    def test_a_removed_member_loses_the_kept_answer_at_once(
        self, client: TestClient, anon: TestClient, app: FastAPI
    ) -> None:
        owner, member = signup(client), signup(anon)
        join_project(app, "private", owner, "admin")
        join_project(app, "private", member, "read")
        headers = bearer(anon, member)
        for _ in range(2):
            assert anon.get(f"{PRIVATE}/sources", headers=headers).status_code == 200
        with session_scope(app.state.session_factory) as db:
            found = read_user(db, username=member)
            assert found is not None
            db.execute(delete(Membership).where(Membership.user_id == found.id))
        assert anon.get(f"{PRIVATE}/sources", headers=headers).status_code == 403

    def test_logout_ends_the_kept_answer(self, client: TestClient, anon: TestClient) -> None:
        username = signup(anon)
        headers = bearer(anon, username)
        for _ in range(2):
            assert anon.get(f"{BASE}/jobs", headers=headers).status_code == 200
            assert anon.get("/auth/check", headers=headers).status_code == 200
        assert anon.post("/logout", headers=headers).status_code == 200
        assert anon.get(f"{BASE}/jobs", headers=headers).status_code == 401
        assert anon.get("/auth/check", headers=headers).status_code == 401

    def test_each_user_gets_their_own_auth_check(
        self, client: TestClient, anon: TestClient
    ) -> None:
        first, second = signup(client), signup(anon)
        first_headers, second_headers = bearer(client, first), bearer(anon, second)
        for _ in range(2):
            body = client.get("/auth/check", headers=first_headers).json()
            assert body["data"]["username"] == first
        assert anon.get("/auth/check", headers=second_headers).json()["data"]["username"] == second
        assert client.get("/auth/check", headers=first_headers).json()["data"]["username"] == first
