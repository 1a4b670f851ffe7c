"""Answers to the reads a web UI polls, kept whole and served again before routing.

The OLake UI polls the job, source and destination lists and auth/check every few seconds.
Their bodies were already cached per revision (api.services.listings, api.services.callers),
yet every request still went through FastAPI's routing, dependency solving and two hops to the
thread pool: about three quarters of the API's CPU per request (py-spy on bench/api_cost.py).

A route whose answer is the same for everyone allowed to read a project answers through
`shared_answer`, with a function that builds it from a DB session; a user's own answer calls
`keep_for_user`. This middleware keeps those answers and answers the next identical GET itself,
with one read of the revision counters, when:
- the caller's token is valid and its session and user are cached for the current `auth`
  revision (so a logout, a role change or a removed membership anywhere is seen at once),
  and that cached access still allows the read;
- the revisions the answer was built under are still the current ones; if only the data moved
  on (a running sync changes its run every few seconds), a shared answer is built again by its
  function, from the list caches, still without routing.
Anything else (no entry, a caller not cached, an error, the database unreachable) goes to the
app, which answers, and fails, as it always does.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from jose import JWTError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as DBSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits import request_token
from api.services.callers import CallerCache
from api.tokens import decode
from metadata import revision
from metadata.errors import DomainError
from metadata.revision import Revisions

_MARK = "olake_keep_answer"  # the request.state attribute a route sets
Build = Callable[[DBSession], Awaitable[bytes]]


@dataclass(frozen=True)
class Shared:
    """The same answer for every caller with `need` in `project_id`; `build` makes it again
    (from the list caches, without routing) when the data revisions moved on."""

    project_id: str
    need: str
    data: tuple[int, int]  # Revisions.data it was built under
    build: Build


@dataclass(frozen=True)
class Own:
    """One user's own answer, while nothing about callers changes."""

    username: str
    auth: int  # Revisions.auth it was built under


@dataclass(frozen=True)
class Kept:
    audience: Shared | Own
    status: int
    headers: tuple[tuple[bytes, bytes], ...]  # without content-length
    body: bytes


async def shared_answer(
    request: Request, db: DBSession, project_id: str, build: Build, need: str = "read"
) -> Response:
    """`build(db)` as a JSON answer, kept for everyone with `need` in the project while the
    data revisions this session read hold. Nothing is kept when the session wrote (it then
    knows no revision): the revisions must have been read before the data the answer shows."""
    body = await build(db)
    revisions = revision.known(db)
    if revisions is not None:
        setattr(request.state, _MARK, Shared(project_id, need, revisions.data, build))
    return Response(body, media_type="application/json")


def keep_for_user(request: Request, db: DBSession, username: str) -> None:
    """Let this answer be served again to the same user while the `auth` revision holds."""
    revisions = revision.known(db)
    if revisions is not None:
        setattr(request.state, _MARK, Own(username, revisions.auth))


class ReadCache:
    """The middleware; it sits inside the rate limit, so kept answers are counted too."""

    MAX_KEPT = 4_096  # paths (and users per path) come from clients: a flood clears the store

    def __init__(
        self,
        app: ASGIApp,
        *,
        session_factory: Callable[[], DBSession],
        callers: CallerCache,
        secret: str,
        cookie_name: str,
        loop_engine: Engine | None,
    ) -> None:
        self.app, self.session_factory, self.callers = app, session_factory, callers
        self.secret, self.cookie_name = secret, cookie_name
        # SQLite: the counters are read in the loop, on a connection of its own (see
        # metadata.db.make_loop_engine); a server database is read from the pool, in a thread.
        self.loop_engine = loop_engine
        self._kept: dict[tuple[str, bytes], dict[str | None, Kept]] = {}
        self._guard = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        scope.setdefault("state", {})  # request.state, shared with the app below
        claims = self._claims(scope)
        kept = self._kept.get(key) if claims is not None else None
        answer = (kept.get(None) or kept.get(claims["sub"])) if kept and claims else None
        body = await self._kept_body(key, answer, claims) if answer and claims else None
        if answer is None or body is None:
            await self._answer_and_keep(key, scope, receive, send)
            return
        length = (b"content-length", str(len(body)).encode())
        headers = [*answer.headers, length]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _claims(self, scope: Scope) -> dict[str, Any] | None:
        token = request_token(scope, self.cookie_name)
        if not token:
            return None
        try:
            claims = decode(token, self.secret)
        except JWTError:
            return None
        sub, sid = claims.get("sub"), claims.get("sid")
        return claims if isinstance(sub, str) and isinstance(sid, str) else None

    async def _read_revisions(self) -> Revisions | None:
        try:
            if self.loop_engine is not None:
                with self.loop_engine.connect() as conn:
                    return revision.read_on(conn)
            return await run_in_threadpool(self._read_pooled)
        except SQLAlchemyError:
            return None  # the app will answer 503 if it cannot read either, and say why

    def _read_pooled(self) -> Revisions | None:
        with self.session_factory() as db:
            return revision.read(db)

    async def _kept_body(
        self, key: tuple[str, bytes], answer: Kept, claims: dict[str, Any]
    ) -> bytes | None:
        """The body to send for `answer`, built again if the data moved on; None when the app
        must answer (the caller is not known to be allowed, or something failed)."""
        revisions = await self._read_revisions()
        if revisions is None:
            return None
        user = self.callers.known_user(
            revisions.auth, session_id=claims["sid"], username=claims["sub"]
        )
        if user is None:
            return None
        audience = answer.audience
        if isinstance(audience, Own):  # kept under the caller's name (see __call__)
            return answer.body if audience.auth == revisions.auth else None
        allowed = self.callers.allows(
            revisions.auth, user_id=user["id"], project_id=audience.project_id, need=audience.need
        )
        if not allowed:
            return None
        if audience.data == revisions.data:
            return answer.body
        return await self._built_again(key, answer, audience, revisions)

    async def _built_again(
        self, key: tuple[str, bytes], answer: Kept, audience: Shared, revisions: Revisions
    ) -> bytes | None:
        db = self.session_factory()
        # The counters were read just now, before any of the data: `build` can then take a
        # list built for them by another request (usually: the list itself is polled too)
        # without touching the database.
        revision.assume(db, revisions)
        try:
            body = await audience.build(db)
        except (SQLAlchemyError, DomainError):
            return None  # the app answers, and says why (503, 404, ...)
        finally:
            with suppress(SQLAlchemyError):
                if db.in_transaction():
                    await run_in_threadpool(db.close)
                else:
                    db.close()  # it never took a connection: no I/O
        if revision.known(db) == revisions:  # `build` only reads; if it ever wrote, keep nothing
            fresh = replace(audience, data=revisions.data)
            self._keep(key, replace(answer, audience=fresh, body=body))
        return body

    async def _answer_and_keep(
        self, key: tuple[str, bytes], scope: Scope, receive: Receive, send: Send
    ) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        complete = False

        async def recording_send(message: Message) -> None:
            nonlocal complete
            if message["type"] == "http.response.start":
                # A copy: middlewares outside this one add their headers to the same message.
                start.update(status=message["status"], headers=tuple(message.get("headers", ())))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, recording_send)
        audience = scope["state"].get(_MARK)
        if audience is None or not complete or start.get("status") != 200:
            return
        names = {name.lower() for name, _ in start["headers"]}
        if b"set-cookie" in names:
            return
        headers = tuple((n, v) for n, v in start["headers"] if n.lower() != b"content-length")
        self._keep(key, Kept(audience, start["status"], headers, b"".join(chunks)))

    def _keep(self, key: tuple[str, bytes], answer: Kept) -> None:
        owner = None if isinstance(answer.audience, Shared) else answer.audience.username
        with self._guard:
            if key not in self._kept and len(self._kept) >= self.MAX_KEPT:
                self._kept.clear()
            by_user = self._kept.setdefault(key, {})
            if owner not in by_user and len(by_user) >= self.MAX_KEPT:
                by_user.clear()
            by_user[owner] = answer
