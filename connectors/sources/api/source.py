"""The api source: GET pages of JSON with httpx, retrying 429/5xx with exponential backoff.

JSON arrives as rows, so each page becomes one Arrow batch (`pa.Table.from_pylist`) in the
schema of the first page; an incremental read keeps rows whose cursor is above the state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from connectors.base import (
    Checkpoint,
    CheckResult,
    ConfiguredStream,
    DiscoveredStream,
    ReadItem,
    SyncMode,
)
from connectors.errors import ConfigError, ConnectorError, TransientError
from connectors.sources._files import from_state_value, to_state_value
from connectors.sources.api.config import APIConfig

if TYPE_CHECKING:
    import httpx

_RETRY_STATUS = {429, 500, 502, 503, 504}
_MAX_SLEEP = 60.0
log = logging.getLogger(__name__)


def dig(body: Any, path: str) -> Any:
    """The value at a dotted path (`data.items`); None where the path leads nowhere."""
    for part in filter(None, path.split(".")):
        if isinstance(body, dict):
            body = body.get(part)
        elif isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        else:
            return None
    return body


def records_of(body: Any, path: str) -> list[dict[str, Any]]:
    found = dig(body, path)
    if found is None:
        raise ConfigError(f"records_path '{path}' is not in the response")
    rows = found if isinstance(found, list) else [found]
    return [r if isinstance(r, dict) else {"value": r} for r in rows]


def _no_null_types(schema: pa.Schema) -> pa.Schema:
    # A column null on the first page has no type yet; string is the safe guess.
    return pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in schema])


def to_batch(rows: list[dict[str, Any]], schema: pa.Schema | None) -> pa.RecordBatch:
    """One page as a batch; later pages take the first page's schema (new keys are dropped)."""
    if schema is not None:
        try:
            return pa.RecordBatch.from_pylist(rows, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass  # e.g. floats where the first page had ints: the runner casts or explains
    batch = pa.RecordBatch.from_pylist(rows)
    return batch.cast(_no_null_types(batch.schema))


class APISource:
    type: ClassVar[str] = "api"
    version: ClassVar[str] = "v0.1.0"
    config_model = APIConfig

    def _get(self, client: httpx.Client, config: APIConfig, params: dict[str, Any]) -> Any:
        import httpx

        for attempt in range(config.max_retries + 1):
            last = attempt == config.max_retries
            try:
                response = client.get(config.url, params={**config.params, **params})
            except httpx.TransportError:
                if last:
                    raise
                time.sleep(min(config.backoff_seconds * 2**attempt, _MAX_SLEEP))
                continue
            if response.status_code in _RETRY_STATUS and not last:
                time.sleep(self._delay(response, config.backoff_seconds * 2**attempt))
                continue
            response.raise_for_status()
            return response.json()
        raise AssertionError("unreachable")

    @staticmethod
    def _delay(response: httpx.Response, backoff: float) -> float:
        retry_after = response.headers.get("Retry-After", "")
        wait = float(retry_after) if retry_after.isdigit() else backoff
        return min(wait, _MAX_SLEEP)

    def pages(
        self, config: APIConfig, extra: dict[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page's records, following the configured pagination until it runs out."""
        import httpx

        with httpx.Client(headers=config.headers, timeout=config.timeout) as client:
            page, cursor, count, previous = config.start_page, None, 0, None
            while config.max_pages is None or count < config.max_pages:
                params: dict[str, Any] = dict(extra or {})
                if config.pagination == "page":
                    params[config.page_param] = page
                    if config.page_size_param:
                        params[config.page_size_param] = config.page_size
                elif config.pagination == "cursor" and cursor is not None:
                    params[config.cursor_param] = cursor
                body = self._get(client, config, params)
                rows = records_of(body, config.records_path)
                count += 1
                if rows == previous:
                    # A server that ignores our page or cursor parameter would loop forever.
                    log.warning("page %d repeats the previous page: stopping", count)
                    return
                if rows:
                    yield rows
                previous = rows
                if config.pagination == "page":
                    short = config.page_size_param and len(rows) < config.page_size
                    if not rows or short:
                        return
                    page += 1
                elif config.pagination == "cursor":
                    cursor = dig(body, config.cursor_path)
                    if cursor in (None, "") or not rows:
                        return
                else:
                    return

    def check(self, config: APIConfig) -> CheckResult:
        first = next(self.pages(config.model_copy(update={"max_pages": 1, "max_retries": 1})), [])
        return CheckResult.succeeded(f"{len(first)} record(s) on the first page")

    def discover(self, config: APIConfig) -> list[DiscoveredStream]:
        first = next(self.pages(config.model_copy(update={"max_pages": 1})), [])
        schema = to_batch(first, None).schema if first else pa.schema([])
        cursors = [f.name for f in schema if pa.types.is_integer(f.type) or f.type == pa.string()]
        return [
            DiscoveredStream(
                name=config.stream_name,
                namespace="",
                schema=schema,
                primary_key=list(config.primary_key),
                cursor_fields=cursors,
                sync_modes=[SyncMode.FULL_REFRESH, SyncMode.INCREMENTAL],
            )
        ]

    def read(
        self, config: APIConfig, stream: ConfiguredStream, state: dict[str, Any] | None
    ) -> Iterator[ReadItem]:
        cursor = stream.cursor_field if stream.sync_mode == SyncMode.INCREMENTAL else None
        schema: pa.Schema | None = None
        since = (state or {}).get(cursor) if cursor else None
        high: Any = None
        # The server may filter too (since_param); the client-side filter stays as a guard.
        extra = {config.since_param: since} if config.since_param and since is not None else None
        for rows in self.pages(config, extra):
            batch = to_batch(rows, schema)
            schema = schema or batch.schema
            if cursor:
                batch, high = self._above(batch, cursor, since, high)
            if batch.num_rows:
                yield batch
        if cursor:
            value = to_state_value(high.as_py()) if high is not None else since
            yield Checkpoint({cursor: value} if value is not None else dict(state or {}))

    @staticmethod
    def _above(
        batch: pa.RecordBatch, cursor: str, since: Any, high: Any
    ) -> tuple[pa.RecordBatch, Any]:
        import pyarrow.compute as pc

        if cursor not in batch.schema.names:
            raise ConfigError(f"cursor field '{cursor}' is not in the records")
        column = batch.column(cursor)
        if since is not None:
            batch = batch.filter(pc.greater(column, from_state_value(since, column.type)))
            column = batch.column(cursor)
        top = pc.max(column)
        if top.is_valid and (high is None or pc.greater(top, high).as_py()):
            high = top
        return batch, high

    def translate_error(self, exc: BaseException) -> ConnectorError:
        """The one place HTTP and decoding errors get their kind."""
        import httpx

        if isinstance(exc, httpx.HTTPStatusError):
            status = exc.response.status_code
            message = f"HTTP {status} from {exc.request.url}"
            if status in _RETRY_STATUS:
                return TransientError(f"{message} after retries")
            if status in (401, 403):
                return ConfigError(f"{message}: check the credentials in headers")
            return ConfigError(message)
        if isinstance(exc, httpx.TransportError):
            return TransientError(f"cannot reach {self._url(exc)}: {exc}")
        if isinstance(exc, ValueError | pa.ArrowInvalid | pa.ArrowTypeError):
            return ConfigError(f"the response is not usable JSON records: {exc}")
        return ConnectorError(f"api: {type(exc).__name__}: {exc}")

    @staticmethod
    def _url(exc: Exception) -> str:
        try:
            return str(exc.request.url)  # type: ignore[attr-defined]
        except (AttributeError, RuntimeError):
            return "the server"
