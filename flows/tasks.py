"""The tasks of a sync run: check, discover, sync one stream, commit its state, publish stats."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from connectors import runner
from connectors.base import CheckStatus, ConfiguredStream
from connectors.catalog import configured_streams
from connectors.errors import ConfigError, ConnectorError
from connectors.logging import mask
from flows import context
from metadata import state as states
from metadata.egress import check_hosts
from metadata.errors import Invalid
from metadata.models import JobStep
from metadata.settings import get_settings

_PROGRESS_EVERY = 10.0  # seconds between progress lines of a long stream


@dataclass(frozen=True)
class StreamStats:
    """One row of the run's artifact."""

    step: int
    stream: str
    sync_mode: str
    status: str
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    state: str = ""
    error: str = ""


def is_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry only what the connector marked transient; config and system errors fail at once."""
    error = getattr(state, "data", None)
    if not isinstance(error, BaseException):
        try:
            error = state.result(raise_on_failure=False)
        except Exception:
            return False
    return isinstance(error, ConnectorError) and error.retryable


@task(name="check", task_run_name="check {kind} {name}", cache_policy=NO_CACHE)
def check(job_id: int, step_id: int, kind: str, name: str) -> str:
    """Test the source or destination of a step; a failure ends the run with its message."""
    step = context.step(job_id, step_id)
    endpoint = step.source if kind == "source" else step.destination
    try:
        check_hosts(endpoint.config, get_settings().connector_host_denylist)
    except Invalid as exc:
        raise ConfigError(f"{kind} '{name}': {exc.message}") from None
    result = runner.check(
        kind,
        endpoint.type,
        endpoint.version,
        endpoint.config,
        timeout=get_settings().connector_timeout,
    )
    if result.status is not CheckStatus.SUCCEEDED:
        raise ConfigError(f"{kind} '{name}' check failed: {mask(result.message)}")
    get_run_logger().info("%s '%s' (%s) is reachable", kind, name, endpoint.type)
    return result.message


@task(name="discover", task_run_name="discover {name}", cache_policy=NO_CACHE)
def discover(job_id: int, step_id: int, name: str) -> dict[str, Any]:
    """Discover the source's streams (keeping earlier choices) and save the catalog to the job."""
    step = context.step(job_id, step_id)
    source = step.source
    catalog = runner.discover(
        source.type, source.version, source.config, previous_catalog=step.streams_config or None
    )
    with context.session() as db:
        row = db.get(JobStep, step_id)
        if row is not None:
            # Settings that are not part of streams.json (e.g. max_parallel_streams) stay.
            extra = {k: v for k, v in (row.streams_config or {}).items() if k not in catalog}
            row.streams_config = {**extra, **catalog}
    context.replace_catalog(job_id, step_id, catalog)
    count = sum(len(v) for v in catalog.get("selected_streams", {}).values())
    get_run_logger().info("discovered %d streams, %d selected", len(catalog["streams"]), count)
    return catalog


def commit_state(step_id: int, stream: str, state: dict[str, Any] | None) -> None:
    """Persist a stream's state; called only once the destination has made the data durable."""
    with context.session() as db:
        states.commit_state(db, step_id=step_id, stream=stream, state=state)


@task(name="sync-stream", task_run_name="{stream}", cache_policy=NO_CACHE)
def sync_stream(job_id: int, step_id: int, stream: str) -> StreamStats:
    """Copy one stream; its state is committed after each durable checkpoint and at the end."""
    logger = get_run_logger()
    step = context.step(job_id, step_id)
    configured = context.stream(job_id, step_id, stream)
    with context.session() as db:
        previous = states.read_state(db, step_id=step_id, stream=stream)
    incremental = configured.sync_mode.value != "full_refresh"
    last_report = [time.monotonic()]

    def on_checkpoint(new_state: dict[str, Any]) -> None:
        # A full refresh only becomes visible at commit; its intermediate states mean nothing.
        if incremental:
            commit_state(step_id, stream, new_state)

    def on_progress(rows: int, size: int) -> None:
        if time.monotonic() - last_report[0] >= _PROGRESS_EVERY:
            last_report[0] = time.monotonic()
            logger.info("%s: %s rows, %s so far", stream, f"{rows:,}", human_bytes(size))

    logger.info("%s: %s sync starts%s", stream, configured.sync_mode.value, resume(previous))
    result = runner.sync_stream(
        source_type=step.source.type,
        source_version=step.source.version,
        source_config=step.source.config,
        destination_type=step.destination.type,
        destination_version=step.destination.version,
        destination_config=step.destination.config,
        stream=configured,
        state=previous,
        on_checkpoint=on_checkpoint,
        on_progress=on_progress,
    )
    commit_state(step_id, stream, result.state)
    logger.info(
        "%s: %s rows, %s in %.1f s",
        stream,
        f"{result.rows:,}",
        human_bytes(result.bytes),
        result.seconds,
    )
    return StreamStats(
        step=step.position,
        stream=stream,
        sync_mode=configured.sync_mode.value,
        status="Completed",
        rows=result.rows,
        bytes=result.bytes,
        seconds=round(result.seconds, 3),
        state=describe_state(result.state),
    )


@task(name="publish-artifact", cache_policy=NO_CACHE)
def publish_artifact(job_id: int, job_name: str, rows: list[StreamStats]) -> None:
    """A table artifact of the run (one row per stream) and a one-line summary in the logs."""
    table = [asdict(row) for row in rows]
    create_table_artifact(
        table=table,
        key=f"olake-job-{job_id}",
        description=f"Streams synced by job '{job_name}': mode, rows, bytes, seconds, state",
    )
    get_run_logger().info(summary(rows))


def summary(rows: list[StreamStats]) -> str:
    failed = [r.stream for r in rows if r.status != "Completed"]
    total_rows = sum(r.rows for r in rows)
    total_bytes = sum(r.bytes for r in rows)
    seconds = max((r.seconds for r in rows), default=0.0)
    text = (
        f"synced {len(rows) - len(failed)}/{len(rows)} streams: {total_rows:,} rows, "
        f"{human_bytes(total_bytes)}, slowest stream {seconds:.1f} s"
    )
    return text + (f"; failed: {', '.join(failed)}" if failed else "")


def configured_by_key(catalog: dict[str, Any] | None) -> dict[str, ConfiguredStream]:
    return {s.key: s for s in configured_streams(catalog or {})}


def describe_state(state: dict[str, Any] | None) -> str:
    if not state:
        return ""
    if "cursor" in state:
        return f"{state.get('cursor_field')} <= {state['cursor']}"
    return ", ".join(f"{k}={v}" for k, v in list(state.items())[:3])[:200]


def resume(state: dict[str, Any] | None) -> str:
    return f" from {describe_state(state)}" if state and "cursor" in state else ""


def human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
