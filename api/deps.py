"""Annotated dependencies: settings, DB session, the current user, the project in the path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from cryptography.fernet import Fernet
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session as DBSession

from api.services.callers import CallerCache
from api.services.listings import ListCache
from api.tokens import read_token
from metadata.db import end_session
from metadata.errors import Unauthorized
from metadata.models import Project, User
from metadata.settings import Settings


# The trivial dependencies are async so that FastAPI calls them in the event loop: a sync
# one costs a hop to the thread pool on every request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> AsyncIterator[DBSession]:
    """session_scope, with one hop to the thread pool instead of two: a new session does no
    I/O until it is used, so only its end (commit or roll back, close) needs a thread."""
    db = request.app.state.session_factory()
    try:
        yield db
    except BaseException:
        await run_in_threadpool(end_session, db, commit=False)
        raise
    await run_in_threadpool(end_session, db, commit=True)


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
    callers: CallerCache = request.app.state.callers
    user = callers.user(db, session_id=claims["sid"], username=claims["sub"])
    request.state.session_id = claims["sid"]
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def _in_project(
    request: Request, db: DBSession, user: User, project_id: str, need: str
) -> Project:
    # Async, so that the usual case (answered from the cache, after get_current_user read
    # the revisions) costs no hop to the thread pool.
    settings: Settings = request.app.state.settings
    if project_id in settings.default_project_aliases:
        project_id = settings.default_project_id
    callers: CallerCache = request.app.state.callers
    known = callers.known_project(db, project_id=project_id, user=user, need=need)
    if known is not None:
        return known
    return await run_in_threadpool(callers.project, db, project_id=project_id, user=user, need=need)


def _project(need: str):  # type: ignore[no-untyped-def]
    async def dependency(
        request: Request, project_id: str, db: SessionDep, user: CurrentUser
    ) -> Project:
        return await _in_project(request, db, user, project_id, need)

    return dependency


ProjectDep = Annotated[Project, Depends(_project("read"))]
EditableProjectDep = Annotated[Project, Depends(_project("edit"))]


async def _default_project(request: Request, db: SessionDep, user: CurrentUser) -> Project:
    """Dialects without project ids in their paths act in the caller's default project."""
    settings: Settings = request.app.state.settings
    return await _in_project(request, db, user, settings.default_project_id, "read")


DefaultProjectDep = Annotated[Project, Depends(_default_project)]
