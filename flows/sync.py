"""The `sync-job` flow: every step of a job in order, each stream of a step as a task run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prefect import flow
from prefect.runtime import flow_run as this_run

from flows import context
from flows.logs import logs_sent_before_end, route_connector_logs
from flows.runs import on_end, record, run_name, tag_run
from flows.steps import SyncFailed, sync_step
from metadata import runs

if TYPE_CHECKING:
    from flows.context import JobContext
    from flows.tasks import StreamStats


@flow(
    name="sync-job",
    flow_run_name=run_name,
    description="Sync a job: check, discover when needed, copy each selected stream.",
    persist_result=False,
    on_completion=[on_end(runs.COMPLETED)],
    on_failure=[on_end(runs.FAILED)],
    on_crashed=[on_end(runs.FAILED)],
    on_cancellation=[on_end(runs.CANCELED)],
)
def sync_job(job_id: int, clear_streams: list[str] | None = None) -> dict[str, int]:
    """Sync every step of a job in order; read the job and its secrets from the metadata store.

    With `clear_streams` (stream keys, `namespace.name`), drop those streams' data from the
    destination and forget their state instead: OLake's clear-destination, as a run of the job.
    """
    route_connector_logs(this_run.id)
    with logs_sent_before_end():
        context.forget(job_id)
        return _run(context.current(job_id), clear_streams)


def _run(job: JobContext, clear_streams: list[str] | None) -> dict[str, int]:
    tag_run(job)
    record(this_run, runs.RUNNING, start_time=datetime.now(UTC))
    if clear_streams is not None:
        from flows.clear import clear_job_streams

        return {"cleared": clear_job_streams(job, clear_streams)}
    results: list[StreamStats] = []
    try:
        for step in job.steps:
            results += sync_step(job, step)
            if any(r.status != "Completed" for r in results):
                break  # later steps may depend on this one's output
    finally:
        if results:
            from flows.tasks import publish_artifact

            publish_artifact(job.id, job.name, results)
    failed = [r for r in results if r.status != "Completed"]
    if failed:
        details = "; ".join(f"{r.stream}: {r.error}" for r in failed)
        raise SyncFailed(f"{len(failed)} of {len(results)} streams failed: {details}")
    return {"streams": len(results), "rows": sum(r.rows for r in results)}
