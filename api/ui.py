"""Serve a built single-page app (e.g. OLake's UI) from the API's origin, without touching the API.

Files under the UI dir are served at their paths; any other GET that asks for HTML (a browser
navigating to a client-side route) gets `index.html`. Paths of API-only prefixes never get HTML,
and requests that do not ask for HTML (API clients) fall through to the API unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.responses import FileResponse
from starlette.types import ASGIApp, Receive, Scope, Send

API_ONLY = ("/api/", "/docs", "/redoc", "/openapi.json", "/health", "/telemetry-id")
HASHED = re.compile(
    r"[.-][A-Za-z0-9_]{8,}\.(js|css|mjs|woff2?|ttf|svg|png|jpe?g|gif|webp|ico|map)$"
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class SinglePageApp:
    def __init__(self, app: ASGIApp, directory: Path) -> None:
        self.app = app
        self.root = directory.resolve()
        self.index = self.root / "index.html"
        if not self.index.is_file():
            raise ValueError(f"UI dir {directory} has no index.html")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(API_ONLY) or path == "/api":
            await self.app(scope, receive, send)
            return
        file = self._file(path)
        if file is not None and file != self.index:
            cache = IMMUTABLE if HASHED.search(file.name) else REVALIDATE
            await FileResponse(file, headers={"Cache-Control": cache})(scope, receive, send)
            return
        if self._wants_html(scope):
            await FileResponse(self.index, headers={"Cache-Control": REVALIDATE})(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)

    def _file(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if not relative:
            return None
        candidate = (self.root / relative).resolve()
        # Never leave the UI dir (`..`, symlinks out of it).
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    @staticmethod
    def _wants_html(scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"accept":
                return b"text/html" in value
        return False
