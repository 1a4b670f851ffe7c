"""Per-client rate limits (X-RateLimit-* headers, 429) and a request body size limit (413).

Counters live in this process: one API process per stack on the embedded default. A client is
its session when it sends a valid token or cookie, else its IP address.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from jose import JWTError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from api.tokens import decode


class FixedWindow:
    """Counts hits per key in windows of `period` seconds; thread-safe."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.time) -> None:
        self.limit, self.period, self.clock = limit, period, clock
        self._hits: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, cost: int = 1) -> tuple[bool, int, int]:
        """(allowed, remaining, reset epoch seconds) after counting this hit."""
        now = self.clock()
        with self._lock:
            start, count = self._hits.get(key, (now, 0))
            if now - start >= self.period:
                start, count = now, 0
            count += cost
            self._hits[key] = (start, count)
            if len(self._hits) > 100_000:  # forget finished windows, not live ones
                self._hits = {k: v for k, v in self._hits.items() if now - v[0] < self.period}
        return count <= self.limit, max(0, self.limit - count), int(start + self.period)

    def peek(self, key: str) -> int:
        now = self.clock()
        with self._lock:
            start, count = self._hits.get(key, (now, 0))
        return 0 if now - start >= self.period else count

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def request_token(scope: Scope, cookie_name: str) -> str:
    """The bearer token, else the session cookie; "" when there is neither."""
    authorization = _header(scope, b"authorization")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    token = ""
    for part in _header(scope, b"cookie").split(";"):
        name, _, value = part.strip().partition("=")
        if name == cookie_name:
            token = value
    return token


def client_key(scope: Scope, secret: str, cookie_name: str) -> str:
    """The session of a valid token or cookie, else the peer's IP address."""
    token = request_token(scope, cookie_name)
    if token:
        try:
            return "sid:" + str(decode(token, secret)["sid"])
        except (JWTError, KeyError):
            pass
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


async def _reply(send: Send, scope: Scope, status: int, message: str, headers: list) -> None:  # type: ignore[type-arg]
    body = json.dumps(error_body(scope["path"], message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimit:
    """Every API response carries X-RateLimit-*; past the limit the answer is 429."""

    EXEMPT = ("/health",)

    def __init__(self, app: ASGIApp, window: FixedWindow, secret: str, cookie_name: str) -> None:
        self.app, self.window, self.secret, self.cookie_name = app, window, secret, cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.EXEMPT):
            await self.app(scope, receive, send)
            return
        allowed, remaining, reset = self.window.hit(
            client_key(scope, self.secret, self.cookie_name)
        )
        headers = [
            (b"x-ratelimit-limit", str(self.window.limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
        ]
        if not allowed:
            retry = max(1, reset - int(time.time()))
            await _reply(
                send,
                scope,
                429,
                "Too many requests; slow down and retry later",
                [*headers, (b"retry-after", str(retry).encode())],
            )
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """Bodies over `max_bytes` get 413 before the app reads them, whether sized or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _reply(send, scope, 413, f"Request body over {self.max_bytes} bytes", [])
            return
        received, refused = 0, False

        async def counted() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not refused:
                    # Answer now; the app then sees a client that went away.
                    refused = True
                    await _reply(send, scope, 413, f"Request body over {self.max_bytes} bytes", [])
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not refused:
                raise
