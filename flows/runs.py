"""A run's bookkeeping: its name, its tag, and the job_runs index on start and end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prefect.runtime import flow_run as this_run

from connectors.logging import mask
from flows import context
from metadata import runs

if TYPE_CHECKING:
    from flows.context import JobContext


def run_name() -> str:
    """Job name + scheduled time, so a person can tell runs apart in any list."""
    job_id = int(this_run.parameters["job_id"])
    when = this_run.scheduled_start_time or datetime.now(UTC)
    return f"{context.job_name(job_id)} {when.astimezone(UTC):%Y-%m-%d %H:%M:%S}"


def record(
    flow_run: Any,
    state: str,
    message: str | None = None,
    *,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
) -> None:
    """Keep the job_runs index current, so job lists need no call per job to Prefect."""
    with context.session() as db:
        runs.record_run(
            db,
            flow_run_id=str(flow_run.id),
            job_id=int(flow_run.parameters["job_id"]),
            state=state,
            run_type="clear" if flow_run.parameters.get("clear_streams") is not None else "sync",
            message=mask(message) if message else None,
            start_time=start_time,
            end_time=end_time,
        )


def alert_failure(flow_run: Any, message: str | None) -> None:
    """POST the failure to the project's webhook, when it has one (never raises)."""
    from flows.alerts import failure_text, send_alert
    from metadata.models import Job
    from metadata.project_settings import read_settings

    with context.session() as db:
        job = db.get(Job, int(flow_run.parameters["job_id"]))
        if job is None:
            return
        name, url = job.name, read_settings(db, project_id=job.project_id).webhook_alert_url
    if url:
        send_alert(url, failure_text(name, message))


def on_end(state_name: str) -> Any:
    # Hooks get the flow run as an argument: the cancellation hook runs in the worker's
    # process, where there is no run context to read it from.
    def hook(flow: Any, flow_run: Any, state: Any) -> None:
        record(flow_run, state_name, state.message, end_time=datetime.now(UTC))
        if state_name == runs.FAILED:
            alert_failure(flow_run, state.message)

    hook.__name__ = f"record_{state_name.lower()}_run"  # the name Prefect logs
    return hook


def tag_run(job: JobContext) -> None:
    """Runs started outside the job's deployment (prefect.yaml's) join the job's history."""
    from prefect import get_client

    tag = f"job:{job.uid}"
    if tag not in (this_run.tags or []):
        with get_client(sync_client=True) as client:
            client.update_flow_run(this_run.id, tags=[*this_run.tags, tag])
