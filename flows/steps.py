"""One step of a job: check both ends, discover when needed, sync streams in parallel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from connectors.logging import mask
from flows import context
from metadata.settings import get_settings

if TYPE_CHECKING:
    from flows.context import JobContext, StepContext
    from flows.tasks import StreamStats


class SyncFailed(Exception):
    """Some streams failed; the others kept their data and state."""


def sync_step(job: JobContext, step: StepContext) -> list[StreamStats]:
    """One step: check both ends, discover if the catalog is missing or stale, sync streams."""
    # Imported here: pyarrow and the connectors would slow every run's start, before Running.
    from flows import tasks
    from flows.tasks import StreamStats

    checks = [
        tasks.check.submit(job.id, step.id, "source", step.source.name),
        tasks.check.submit(job.id, step.id, "destination", step.destination.name),
    ]
    for future in checks:
        future.result()
    catalog = context.catalog(job.id, step.id)
    if needs_discover(catalog):
        catalog = tasks.discover(job.id, step.id, step.source.name)
    keys = list(tasks.configured_by_key(catalog))
    if not keys:
        get_run_logger().warning("step %d selects no stream: nothing to sync", step.position)
        return []
    settings = get_settings()
    sync = tasks.sync_stream.with_options(
        retries=settings.sync_retries,
        retry_delay_seconds=settings.sync_retry_delay,
        retry_condition_fn=tasks.is_transient,
    )
    results: list[StreamStats] = []
    # A runner of our own: the per-job stream limit is only known once the job is read.
    pool: ThreadPoolTaskRunner[Any] = ThreadPoolTaskRunner(max_workers=job.max_parallel_streams)
    runner = pool.__enter__()
    try:
        futures = {
            key: runner.submit(sync, {"job_id": job.id, "step_id": step.id, "stream": key})
            for key in keys
        }
        for key, future in futures.items():
            future.wait()
            try:
                results.append(future.result())
            except Exception as exc:
                mode = tasks.configured_by_key(catalog)[key].sync_mode.value
                error = mask(getattr(exc, "user_message", None) or str(exc))
                results.append(StreamStats(step.position, key, mode, "Failed", error=error))
    except BaseException as exc:
        if not isinstance(exc, Exception):
            # Cancelled (SIGTERM) or interrupted: a stream blocked in a driver call cannot be
            # interrupted, so leave its thread behind and make sure the process ends soon.
            context.exit_soon()
        raise
    pool.__exit__(None, None, None)
    return results


def needs_discover(catalog: dict[str, Any]) -> bool:
    """No streams yet, or a selected stream the catalog does not describe (stale)."""
    described = {
        ((s.get("stream", s).get("namespace") or ""), s.get("stream", s).get("name"))
        for s in catalog.get("streams") or []
    }
    if not described:
        return True
    selected = {
        (namespace or "", sel.get("stream_name"))
        for namespace, sels in (catalog.get("selected_streams") or {}).items()
        for sel in sels or []
    }
    return not selected <= described
