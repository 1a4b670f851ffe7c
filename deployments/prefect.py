"""A synchronous Prefect client for the API's threadpool, with Prefect outages as 503s."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx

from metadata.errors import Unavailable

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value) if value else None


@contextmanager
def prefect_client() -> Iterator[SyncPrefectClient]:
    """The configured Prefect server's client; Unavailable (503) when it cannot be reached."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectHTTPStatusError

    url = api_url()
    if not url:
        # Without a URL Prefect would start a throwaway in-process server: never what we want.
        raise Unavailable("Prefect is not configured: set PREFECT_API_URL or run prefect-olake up")
    try:
        with get_client(sync_client=True) as client:
            yield client
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code >= 500:
            status = exc.response.status_code
            raise Unavailable(f"Prefect at {url} failed ({status}); try again") from exc
        raise
    except (httpx.TransportError, OSError) as exc:
        raise Unavailable(
            f"Prefect is unavailable at {url} ({type(exc).__name__}); start it or check "
            "PREFECT_API_URL, then try again"
        ) from exc
