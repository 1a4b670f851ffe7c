"""Who is calling, and where they may act, cached per `auth` revision.

Resolving the caller of a request took four ORM queries (session, user, project, membership).
Every request already reads the revision counters (metadata.revision), once; a caller whose
session, user and memberships did not change since costs no more than that. Any login,
logout, sign-up, membership or role change bumps `auth` and so retires every entry, and an
entry never outlives its session's expiry.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session as DBSession
from sqlalchemy.orm import make_transient_to_detached

from metadata import revision, users
from metadata.errors import Unauthorized
from metadata.models import Project, User, utcnow
from metadata.projects import Access, check_access, read_access, role_allows

M = TypeVar("M", User, Project)
EXPIRED = "Authentication required: session expired or logged out"


def _values(row: User | Project) -> dict[str, Any]:
    return {attr.key: getattr(row, attr.key) for attr in type(row).__mapper__.column_attrs}


def _copy(model: type[M], values: dict[str, Any]) -> M:
    """A detached instance of its own per request: requests never share ORM objects."""
    row = model(**values)
    make_transient_to_detached(row)
    return row


def _session_key(session_id: str, username: str) -> Hashable:
    return ("session", session_id, username)


def _access_key(user_id: int, project_id: str) -> Hashable:
    return ("access", user_id, project_id)


class CallerCache:
    """Callers by (session, username) and access by (user, project), each for one revision."""

    MAX_ENTRIES = 10_000  # bounded: a flood of sessions clears it rather than growing it

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[int, Any]] = {}
        self._guard = threading.Lock()

    def _get(self, key: Hashable, version: int | None) -> Any:
        entry = self._entries.get(key)
        return (
            entry[1] if entry is not None and version is not None and entry[0] == version else None
        )

    def _put(self, key: Hashable, version: int | None, value: Any) -> None:
        if version is None:
            return
        with self._guard:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (version, value)

    def user(self, db: DBSession, *, session_id: str, username: str) -> User:
        """The user of a live session; 401 when it expired, was revoked or is someone else's."""
        revisions = revision.read(db)  # before any data, as for the list cache
        version = revisions.auth if revisions else None
        key = _session_key(session_id, username)
        found: tuple[dict[str, Any], datetime] | None = self._get(key, version)
        if found is None:
            session = users.read_live_session(db, session_id=session_id)
            user = users.read_user(db, username=username)
            if session is None or user is None or session.user_id != user.id:
                raise Unauthorized(EXPIRED)
            found = (_values(user), session.expires_at)
            self._put(key, version, found)
        values, expires_at = found
        if expires_at <= utcnow():
            raise Unauthorized(EXPIRED)
        return _copy(User, values)

    def project(self, db: DBSession, *, project_id: str, user: User, need: str) -> Project:
        """The project if the user's role there allows `need`; else 404 or 403."""
        revisions = revision.read(db)
        version = revisions.auth if revisions else None
        key = _access_key(user.id, project_id)
        found: tuple[dict[str, Any] | None, str | None] | None = self._get(key, version)
        if found is None:
            access = read_access(db, project_id=project_id, user_id=user.id)
            found = (_values(access.project) if access.project else None, access.role)
            self._put(key, version, found)
        return self._check(found, project_id, need)

    def known_project(
        self, db: DBSession, *, project_id: str, user: User, need: str
    ) -> Project | None:
        """`project` when the answer is cached for the revision this session read; None when
        finding out needs the database. No I/O: fit for the event loop."""
        revisions = revision.known(db)
        found = self._get(_access_key(user.id, project_id), revisions.auth if revisions else None)
        return self._check(found, project_id, need) if found is not None else None

    def known_user(self, auth: int, *, session_id: str, username: str) -> dict[str, Any] | None:
        """The column values of a live session's user when cached for revision `auth`; None
        when finding out needs the database. No I/O."""
        found: tuple[dict[str, Any], datetime] | None = self._get(
            _session_key(session_id, username), auth
        )
        if found is None or found[1] <= utcnow():
            return None
        return found[0]

    def allows(self, auth: int, *, user_id: int, project_id: str, need: str) -> bool:
        """Whether access cached for revision `auth` allows `need`; False when not cached."""
        found: tuple[dict[str, Any] | None, str | None] | None = self._get(
            _access_key(user_id, project_id), auth
        )
        if found is None or found[0] is None or found[1] is None:
            return False
        return role_allows(found[1], need)

    @staticmethod
    def _check(
        found: tuple[dict[str, Any] | None, str | None], project_id: str, need: str
    ) -> Project:
        values, role = found
        project = _copy(Project, values) if values is not None else None
        return check_access(Access(project, role), project_id=project_id, need=need)
