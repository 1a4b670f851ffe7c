"""Cached callers (api.services.callers) never outlive a change to who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from metadata.db import session_scope
from metadata.models import Membership, User, utcnow
from metadata.models import Session as UserSession
from tests.api.olake.factories import BASE, PG_CONFIG

SOURCE = {"name": "pg", "type": "postgres", "config": PG_CONFIG}


def _user_id(app: FastAPI, username: str) -> int:
    with session_scope(app.state.session_factory) as db:
        user_id: int = db.scalars(select(User.id).where(User.username == username)).one()
        return user_id


class TestCallerFreshness:
    def test_a_session_revoked_elsewhere_is_refused_at_once(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        assert client.get(f"{BASE}/jobs").status_code == 200  # the caller is cached now
        with session_scope(app.state.session_factory) as db:  # another process's session
            for session in db.scalars(select(UserSession)):
                session.revoked_at = utcnow()
        assert client.get(f"{BASE}/jobs").status_code == 401
        assert client.get("/auth/check").status_code == 401

    def test_a_membership_removed_elsewhere_is_refused_at_once(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        assert client.get(f"{BASE}/sources").status_code == 200
        user_id = _user_id(app, user)
        with session_scope(app.state.session_factory) as db:
            db.delete(db.get(Membership, ("olake", user_id)))
        assert client.get(f"{BASE}/sources").status_code == 403
        with session_scope(app.state.session_factory) as db:
            db.add(Membership(project_id="olake", user_id=user_id, role="read"))
        assert client.get(f"{BASE}/sources").status_code == 200
        assert client.post(f"{BASE}/sources", json=SOURCE).status_code == 403

    def test_a_bulk_role_change_shows_at_once(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        assert client.post(f"{BASE}/sources", json=SOURCE).status_code == 200
        with session_scope(app.state.session_factory) as db:
            db.execute(update(Membership).values(role="read"))
        renamed = {**SOURCE, "name": "pg-2"}
        assert client.post(f"{BASE}/sources", json=renamed).status_code == 403
        assert client.get(f"{BASE}/sources").status_code == 200

    def test_a_cached_session_still_expires(
        self, client: TestClient, user: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert client.get(f"{BASE}/jobs").status_code == 200
        later = utcnow() + timedelta(days=31)  # past the 30-day session
        monkeypatch.setattr("api.services.callers.utcnow", lambda: later)
        assert client.get(f"{BASE}/jobs").status_code == 401

    def test_each_request_gets_its_own_copy(
        self, client: TestClient, user: str, app: FastAPI
    ) -> None:
        callers = app.state.callers
        with session_scope(app.state.session_factory) as db:
            session_id = db.scalars(select(UserSession.id)).one()
        copies = []
        for _ in range(2):  # two requests: the second is answered from the cache
            with session_scope(app.state.session_factory) as db:
                copies.append(callers.user(db, session_id=session_id, username=user))
                copies.append(callers.project(db, project_id="olake", user=copies[-1], need="edit"))
        first_user, first_project, user_copy, project_copy = copies
        assert user_copy is not first_user and project_copy is not first_project
        assert (user_copy.id, user_copy.username) == (first_user.id, user)
        assert project_copy.id == first_project.id == "olake"
