"""orc-rust-ator auth: register and login; the same users and tokens as every dialect."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import SessionDep, SettingsDep
from api.orc.schemas import Credentials, Registered, Token
from api.services.login_guard import guarded_login
from api.tokens import issue_token
from metadata import users
from metadata.projects import add_member, ensure_project

router = APIRouter(prefix="/auth", tags=["orc-rust-ator: auth"])


@router.post("/register", response_model=Registered)
def register(body: Credentials, db: SessionDep, settings: SettingsDep) -> Registered:
    user = users.create_user(db, username=body.username, password=body.password)
    project = ensure_project(db, project_id=settings.default_project_id)
    add_member(db, project_id=project.id, user=user, role="admin")
    return Registered(username=user.username, message="User registered successfully")


@router.post("/login", response_model=Token)
def login(body: Credentials, request: Request, db: SessionDep, settings: SettingsDep) -> Token:
    user = guarded_login(
        request,
        body.username,
        lambda: users.authenticate(db, username=body.username, password=body.password),
    )
    session = users.create_session(db, user=user, days=settings.session_days)
    token = issue_token(
        secret=request.app.state.secret_key,
        username=user.username,
        session_id=session.id,
        expires_at=session.expires_at,
    )
    return Token(token=token)
