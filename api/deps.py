"""Annotated dependencies: settings, DB session, the current user, the project in the path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from cryptography.fernet import Fernet
from fastapi import Depends, Request
from sqlalchemy.orm import Session as DBSession

from api.services.listings import ListCache
from api.tokens import read_token
from metadata import users
from metadata.db import session_scope
from metadata.errors import Unauthorized
from metadata.models import Project, User
from metadata.projects import resolve_project
from metadata.settings import Settings


# The trivial dependencies are async so that FastAPI calls them in the event loop: a sync
# one costs a hop to the thread pool on every request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[DBSession]:
    with session_scope(request.app.state.session_factory) as db:
        yield db


async def get_cipher(request: Request) -> Fernet:
    cipher: Fernet = request.app.state.cipher
    return cipher


async def get_list_cache(request: Request) -> ListCache:
    cache: ListCache = request.app.state.list_cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response is sent, so a client that reads right after
# a write sees it, and a failed commit is an error response instead of a lost write.
SessionDep = Annotated[DBSession, Depends(get_db, scope="function")]
CipherDep = Annotated[Fernet, Depends(get_cipher)]
ListCacheDep = Annotated[ListCache, Depends(get_list_cache)]


def bearer_or_cookie(request: Request, settings: Settings) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(settings.cookie_name)


def get_current_user(request: Request, db: SessionDep, settings: SettingsDep) -> User:
    token = bearer_or_cookie(request, settings)
    if not token:
        raise Unauthorized("Authentication required")
    claims = read_token(token, secret=request.app.state.secret_key)
    session = users.read_live_session(db, session_id=claims["sid"])
    user = users.read_user(db, username=claims["sub"])
    if session is None or user is None or session.user_id != user.id:
        raise Unauthorized("Authentication required: session expired or logged out")
    request.state.session_id = session.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def _project(need: str):  # type: ignore[no-untyped-def]
    def dependency(
        project_id: str, db: SessionDep, user: CurrentUser, settings: SettingsDep
    ) -> Project:
        return resolve_project(
            db,
            project_id=project_id,
            user=user,
            default_id=settings.default_project_id,
            aliases=set(settings.default_project_aliases),
            need=need,
        )

    return dependency


ProjectDep = Annotated[Project, Depends(_project("read"))]
EditableProjectDep = Annotated[Project, Depends(_project("edit"))]


def _default_project(db: SessionDep, user: CurrentUser, settings: SettingsDep) -> Project:
    """Dialects without project ids in their paths act in the caller's default project."""
    return resolve_project(
        db,
        project_id=settings.default_project_id,
        user=user,
        default_id=settings.default_project_id,
        aliases=set(settings.default_project_aliases),
    )


DefaultProjectDep = Annotated[Project, Depends(_default_project)]
