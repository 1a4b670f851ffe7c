"""A keep-alive HTTP/1.1 GET client on asyncio streams, for the load generator.

The load generator shares the 2-core machine with the server it measures. httpx costs about
1 ms of CPU per request (measured: 0.57 cores at 540 requests/s), CPU the server then does not
get; this client reads the status line and headers and takes the body by its length, a few
tens of microseconds per request. Browsers calling the real server run elsewhere.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class HTTPError(Exception):
    """No answer: the connection failed or closed mid-answer."""


class RawClient:
    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = 30) -> None:
        url = urlsplit(base_url)
        self.timeout = timeout
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> int:
        """GET `path`; the status code. The body is read and dropped."""
        try:
            return await asyncio.wait_for(self._get(path), self.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            await self.aclose()
            raise HTTPError(f"{type(exc).__name__}: {exc}") from exc

    async def _get(self, path: str) -> int:
        reused = self._streams is not None
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        reader, writer = self._streams
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.headers}\r\n"
        writer.write(request.encode())
        status_line = await reader.readline()
        if not status_line:
            await self.aclose()
            if reused:  # the server closed the idle connection (keep-alive timeout): once more
                return await self._get(path)
            raise HTTPError("connection closed before the answer")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, status_line.startswith(b"HTTP/1.0")
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = value == b"close"
        if chunked:
            while size := int((await reader.readline()).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readline()
        else:
            await reader.readexactly(length)
        if close:
            await self.aclose()
        return status

    async def aclose(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None
