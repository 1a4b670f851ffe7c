"""Run connector steps: the one entry point the CLI and the Prefect flows call.

Every step validates the config first, so a bad config is a ConfigError naming the field.
Exceptions a connector did not classify pass through its `translate_error(exc)` (one function
per connector, optional) and otherwise become SYSTEM errors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pyarrow as pa
from pydantic import BaseModel, ValidationError

from connectors import registry
from connectors.base import (
    Checkpoint,
    CheckResult,
    ConfiguredStream,
    ReadItem,
    StreamWriter,
    SyncMode,
)
from connectors.catalog import arrow_schema, build_catalog, load
from connectors.errors import (
    ConfigError,
    ConnectorError,
    ErrorKind,
    TransientError,
    UnknownConnectorError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
# The state key of what a destination staged for a checkpoint (see `_checkpoint`).
STAGED = "staged"


@dataclass(frozen=True)
class StreamResult:
    rows: int
    bytes: int
    seconds: float
    state: dict[str, Any] | None


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "config"
        parts.append(f"field '{field}': {err['msg']}")
    return "invalid config: " + "; ".join(parts)


def validate_config(kind: str, type: str, version: str | None, config: dict[str, Any]) -> BaseModel:
    """The config parsed by the connector's model; ConfigError naming the bad field otherwise."""
    model = registry.config_model(kind, type, version)
    try:
        return model.model_validate(config)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def translate(connector: object, exc: BaseException) -> ConnectorError:
    """Classify an exception through the connector's own `translate_error`, else as SYSTEM."""
    if isinstance(exc, ConnectorError):
        return exc
    hook = getattr(connector, "translate_error", None)
    if hook is not None:
        translated = hook(exc)
        if isinstance(translated, ConnectorError):
            return translated
    name = getattr(connector, "type", type(connector).__name__)
    return ConnectorError(
        f"{name}: {type(exc).__name__}: {exc}", kind=ErrorKind.SYSTEM, internal_message=repr(exc)
    )


def _call(connector: object, fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    except Exception as exc:
        raise translate(connector, exc) from exc


def _in_thread(fn: Callable[[], T], timeout: float, what: str) -> T:
    """Run fn in a daemon thread; stop waiting after `timeout` (the thread is abandoned)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"connector-{what}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TransientError(f"{what} timed out after {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def check(
    kind: str, type: str, version: str | None, config: dict[str, Any], timeout: float = 10.0
) -> CheckResult:
    """Test a source or destination config. Never raises: every failure is a FAILED result."""

    def run() -> CheckResult:
        model = validate_config(kind, type, version, config)
        connector = registry.connector_class(kind, type, version)()
        return _call(connector, connector.check, model)

    try:
        return _in_thread(run, timeout, "check")
    except ConnectorError as exc:
        return CheckResult.failed(exc.user_message)
    except UnknownConnectorError as exc:
        return CheckResult.failed(str(exc))
    except Exception as exc:  # unknown type, a bug: still an answer, not a crash
        return CheckResult.failed(f"{exc.__class__.__name__}: {exc}")


def discover(
    type: str,
    version: str | None,
    config: dict[str, Any],
    previous_catalog: dict[str, Any] | str | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """The source's streams in streams.json form, keeping choices made in `previous_catalog`."""
    model = validate_config("source", type, version, config)
    source = registry.get_source(type, version)
    streams = _in_thread(lambda: _call(source, source.discover, model), timeout, "discover")
    return build_catalog(streams, load(previous_catalog) if previous_catalog else None)


def _guarded(source: object, items: Iterable[ReadItem]) -> Iterator[ReadItem]:
    """Iterate a source's read, translating its errors where they happen."""
    it = iter(items)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except Exception as exc:
            raise translate(source, exc) from exc
        yield item


def read(
    type: str,
    version: str | None,
    config: dict[str, Any],
    stream: ConfiguredStream,
    state: dict[str, Any] | None = None,
) -> Iterator[ReadItem]:
    """A source's batches (projected to the selected columns) and checkpoints."""
    model = validate_config("source", type, version, config)
    source = registry.get_source(type, version)
    for item in _guarded(source, source.read(model, stream, state)):
        yield project(item, stream) if isinstance(item, pa.RecordBatch) else item


def read_table(
    type: str,
    version: str | None,
    config: dict[str, Any],
    stream: ConfiguredStream,
    state: dict[str, Any] | None = None,
) -> tuple[pa.Table | None, dict[str, Any] | None]:
    """Everything a read yields, as one table (None if no batch) and the last state."""
    batches: list[pa.RecordBatch] = []
    last = state
    for item in read(type, version, config, stream, state):
        if isinstance(item, Checkpoint):
            last = item.state
        else:
            batches.append(item)
    return (pa.Table.from_batches(batches) if batches else None), last


def project(batch: pa.RecordBatch, stream: ConfiguredStream) -> pa.RecordBatch:
    if not stream.columns:
        return batch
    names = [c for c in stream.columns if c in batch.schema.names]
    return batch if names == batch.schema.names else batch.select(names)


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The batch in the writer's schema: columns reordered, missing ones null, types cast."""
    if batch.schema.equals(schema):
        return batch
    extra = set(batch.schema.names) - set(schema.names)
    if extra:
        log.warning("dropping columns that appeared mid-stream: %s", sorted(extra))
    arrays = []
    for field in schema:
        if field.name not in batch.schema.names:
            arrays.append(pa.nulls(batch.num_rows, field.type))
            continue
        column = batch.column(field.name)
        try:
            arrays.append(column if column.type == field.type else column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise ConfigError(
                f"column '{field.name}' changed type mid-stream ({field.type} -> {column.type}):"
                " discover the source again",
                internal_message=str(exc),
            ) from exc
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _checkpoint(
    destination: Any,
    model: BaseModel,
    stream: ConfiguredStream,
    writer: StreamWriter | None,
    state: dict[str, Any],
    on_checkpoint: Callable[[dict[str, Any]], None] | None,
) -> None:
    """Make the data durable, commit the state, and only then let readers see the data.

    Publishing first would leave a window where the rows are visible and the state does not
    say so (a kill there duplicates them on resume); committing first, one where the state
    says so and the rows are not visible (a kill there loses them, unless the resume can find
    them): so the state names the staged data, and whoever comes next publishes it.
    """
    stage = getattr(writer, "stage", None)
    publish = getattr(destination, "publish", None)
    # A full refresh commits no state before its end, and shows nothing before its commit.
    replace = stream.sync_mode == SyncMode.FULL_REFRESH
    if writer is None or stage is None or publish is None or replace:
        if writer is not None:
            _call(destination, writer.checkpoint)
        if on_checkpoint is not None:
            on_checkpoint(state)
        return
    staged: list[str] = _call(destination, stage)
    if on_checkpoint is not None:
        on_checkpoint({**state, STAGED: staged} if staged else state)
    if staged:
        _call(destination, publish, model, stream, staged)


def _publish_left(
    destination: Any, model: BaseModel, stream: ConfiguredStream, state: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Publish what the committed state says was staged; the state the source understands."""
    if not state or STAGED not in state:
        return state
    publish = getattr(destination, "publish", None)
    if publish is not None and stream.sync_mode != SyncMode.FULL_REFRESH:
        _call(destination, publish, model, stream, list(state[STAGED]))
    return {k: v for k, v in state.items() if k != STAGED}


def sync_stream(
    *,
    source_type: str,
    source_version: str | None,
    source_config: dict[str, Any],
    destination_type: str,
    destination_version: str | None,
    destination_config: dict[str, Any],
    stream: ConfiguredStream,
    state: dict[str, Any] | None,
    on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> StreamResult:
    """Copy one stream; report each durable state; on failure leave nothing half-written."""
    started = time.monotonic()
    dest_model = validate_config(
        "destination", destination_type, destination_version, destination_config
    )
    destination = registry.get_destination(destination_type, destination_version)
    state = _publish_left(destination, dest_model, stream, state)
    if stream.sync_mode == SyncMode.FULL_REFRESH:
        state = None  # a full refresh always reads everything
    rows = size = 0
    last_state = state
    writer: StreamWriter | None = None
    schema: pa.Schema | None = None
    try:
        for item in read(source_type, source_version, source_config, stream, state):
            if isinstance(item, Checkpoint):
                _checkpoint(destination, dest_model, stream, writer, item.state, on_checkpoint)
                last_state = item.state
                continue
            if writer is None:
                schema = item.schema
                writer = _call(destination, destination.open_writer, dest_model, stream, schema)
            assert schema is not None
            _call(destination, writer.write, conform(item, schema))
            rows += item.num_rows
            size += item.nbytes
            if on_progress is not None:
                on_progress(rows, size)
        if writer is None and stream.sync_mode == SyncMode.FULL_REFRESH:
            # Nothing read: a full refresh still replaces the old data with an empty table.
            empty = arrow_schema(stream.json_schema)
            if len(empty):
                writer = _call(destination, destination.open_writer, dest_model, stream, empty)
            else:  # no batch and no catalog schema: no table can be made, so leave it alone
                log.warning(
                    "%s: nothing read and no schema known; destination untouched", stream.key
                )
        if writer is not None:
            _call(destination, writer.commit)
    except BaseException:
        if writer is not None:
            try:
                writer.abort()
            except Exception:
                log.exception("abort of %s failed", stream.key)
        raise
    return StreamResult(rows, size, time.monotonic() - started, last_state)


def clear_stream(
    destination_type: str,
    version: str | None,
    destination_config: dict[str, Any],
    stream: ConfiguredStream,
) -> None:
    """Drop a stream's data from the destination (OLake's clear-destination)."""
    model = validate_config("destination", destination_type, version, destination_config)
    destination = registry.get_destination(destination_type, version)
    _call(destination, destination.clear, model, stream)
