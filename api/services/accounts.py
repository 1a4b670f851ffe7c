"""Accounts for every dialect: sign up into the default project, log in to a session token."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session as DBSession

from api.services.login_guard import guarded_login
from api.tokens import issue_token
from metadata import users
from metadata.models import User
from metadata.projects import add_member, ensure_project
from metadata.settings import Settings


def sign_up(
    db: DBSession, settings: Settings, *, username: str, password: str, email: str | None = None
) -> User:
    """A new user, a member of the default project (every user is, as in OLake)."""
    user = users.create_user(db, username=username, password=password, email=email)
    project = ensure_project(db, project_id=settings.default_project_id)
    add_member(db, project_id=project.id, user=user, role="admin")
    return user


def log_in(
    request: Request, db: DBSession, settings: Settings, *, username: str, password: str
) -> tuple[User, str]:
    """The user and a JWT bound to a new session; failed attempts count toward the limits."""
    user = guarded_login(
        request, username, lambda: users.authenticate(db, username=username, password=password)
    )
    session = users.create_session(db, user=user, days=settings.session_days)
    token = issue_token(
        secret=request.app.state.secret_key,
        username=user.username,
        session_id=session.id,
        expires_at=session.expires_at,
    )
    return user, token
