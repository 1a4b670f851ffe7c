"""Jobs as Prefect deployments of `sync-job`: upsert, pause, resume, delete, trigger, cancel.

Every function is synchronous (the API calls it from its threadpool) and takes the Job row;
the deployment id is kept on the job and re-created from it when Prefect lost it.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from deployments.prefect import prefect_client
from deployments.schedules import to_cron
from metadata.models import Job
from metadata.settings import Settings

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

FLOW_NAME = "sync-job"
ENTRYPOINT = "flows.sync:sync_job"  # a module of the installed package: no code to pull
PARAMETER_SCHEMA = {
    "type": "object",
    "title": "Parameters",
    "properties": {
        "job_id": {"type": "integer", "title": "job_id", "position": 0},
        "clear_streams": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
            "default": None,
            "title": "clear_streams",
            "position": 1,
        },
    },
    "required": ["job_id"],
}
CLEAR_TAG = "clear"
PAUSED_MESSAGE = "job is paused, please unpause to run sync"
_BANNED = "/%&><"  # characters Prefect refuses in a deployment name


def enabled(settings: Settings) -> bool:
    """Whether jobs get deployments: `prefect_enabled`, by default on except in API tests."""
    if settings.prefect_enabled is not None:
        return settings.prefect_enabled
    return settings.env != "test"


def job_tag(job: Job) -> str:
    """Every run of the job carries it, so its history survives renames and re-creation."""
    return f"job:{job.uid}"


def deployment_name(job: Job, settings: Settings) -> str:
    """The job's name as Prefect allows it; other projects' jobs say which project they are in."""
    name = job.name.translate({ord(c): "-" for c in _BANNED})
    if job.project_id != settings.default_project_id:
        name = f"{name} ({job.project_id})"
    return name


def tags(job: Job) -> list[str]:
    found = [f"project:{job.project_id}", job_tag(job)]
    for step in job.steps:
        if step.source is not None:
            found.append(f"source:{step.source.type}")
        if step.destination is not None:
            found.append(f"destination:{step.destination.type}")
    return list(dict.fromkeys(found))


def description(job: Job) -> str:
    parts = [
        f"{s.source.name} ({s.source.type}) -> {s.destination.name} ({s.destination.type})"
        for s in job.steps
        if s.source is not None and s.destination is not None
    ]
    schedule = job.frequency or "manual"
    text = job.description or f"OLake job '{job.name}'"
    return f"{text} (job {job.id}, project {job.project_id}): {'; '.join(parts)}; {schedule}"


def _schedules(job: Job) -> list[Any]:
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import CronSchedule

    cron = to_cron(job.frequency)
    if cron is None:
        return []
    return [DeploymentScheduleCreate(schedule=CronSchedule(cron=cron, timezone="UTC"), active=True)]


def _upsert(client: SyncPrefectClient, job: Job, settings: Settings) -> str:
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy, ConcurrencyOptions

    flow_id = client.create_flow_from_name(FLOW_NAME)
    name = deployment_name(job, settings)
    if _taken_by_other(client, name, job):
        name = f"{name} #{job.id}"
    deployment_id = client.create_deployment(
        flow_id=flow_id,
        name=name,
        entrypoint=ENTRYPOINT,
        parameters={"job_id": job.id},
        parameter_openapi_schema=PARAMETER_SCHEMA,
        enforce_parameter_schema=True,
        schedules=_schedules(job),
        paused=not job.activate,
        tags=tags(job),
        description=description(job),
        work_pool_name=job.work_pool or settings.work_pool,
        # One run at a time; an overlapping run is skipped, as OLake does.
        concurrency_limit=1,
        concurrency_options=ConcurrencyOptions(
            collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
        ),
    )
    previous, job.deployment_id = job.deployment_id, str(deployment_id)
    if previous and previous != job.deployment_id:
        _delete(client, previous)  # the job was renamed: the old name's deployment goes
    return job.deployment_id


def _taken_by_other(client: SyncPrefectClient, name: str, job: Job) -> bool:
    """Whether a deployment of that name runs something else (another job, prefect.yaml's)."""
    from prefect.exceptions import ObjectNotFound

    try:
        found = client.read_deployment_by_name(f"{FLOW_NAME}/{name}")
    except ObjectNotFound:
        return False
    return job_tag(job) not in (found.tags or [])


def _delete(client: SyncPrefectClient, deployment_id: str) -> None:
    from prefect.exceptions import ObjectNotFound

    with suppress(ObjectNotFound):
        client.delete_deployment(UUID(deployment_id))


def _ensure(client: SyncPrefectClient, job: Job, settings: Settings) -> str:
    """The job's deployment id, re-created from the job when Prefect does not know it."""
    from prefect.exceptions import ObjectNotFound

    if job.deployment_id:
        try:
            client.read_deployment(UUID(job.deployment_id))
            return job.deployment_id
        except ObjectNotFound:
            pass
    return _upsert(client, job, settings)


def upsert(job: Job, settings: Settings) -> str:
    """Create or update the job's deployment (schedule, parameters, tags, pause state)."""
    with prefect_client() as client:
        return _upsert(client, job, settings)


def set_active(job: Job, settings: Settings, active: bool) -> None:
    """Resume or pause the deployment's schedule (pausing drops its future scheduled runs)."""
    with prefect_client() as client:
        deployment_id = UUID(_ensure(client, job, settings))
        if active:
            client.resume_deployment(deployment_id)
        else:
            client.pause_deployment(deployment_id)


def remove(job: Job) -> list[str]:
    """Cancel the job's active runs, then delete its deployment; its runs stay readable."""
    with prefect_client() as client:
        cancelled = _cancel(client, job)
        if job.deployment_id:
            _delete(client, job.deployment_id)
    return cancelled


def trigger(job: Job, settings: Settings, clear_streams: list[str] | None = None) -> FlowRun:
    """A flow run of the job's deployment, due now; the worker picks it up.

    With `clear_streams`, the run drops those streams' destination data and state instead.
    """
    parameters: dict[str, Any] = {"job_id": job.id}
    if clear_streams is not None:
        parameters["clear_streams"] = clear_streams
    kind = "clear " if clear_streams is not None else ""
    with prefect_client() as client:
        deployment_id = UUID(_ensure(client, job, settings))
        now = datetime.now(UTC)
        return client.create_flow_run_from_deployment(
            deployment_id,
            parameters=parameters,
            name=f"{job.name} {kind}{now:%Y-%m-%d %H:%M:%S}",
            tags=["manual", CLEAR_TAG] if clear_streams is not None else ["manual"],
        )


def active_clear(job: Job) -> bool:
    """Whether a clear-destination run of the job is due or running."""
    with prefect_client() as client:
        return any(CLEAR_TAG in (run.tags or []) for run in _active(client, job))


def runs(job: Job, limit: int = 50) -> list[FlowRun]:
    """The job's flow runs newest first, leaving out runs scheduled in the future."""
    return tagged_runs(job_tag(job), limit)


def read_run(job: Job, flow_run_id: str) -> FlowRun | None:
    """One of the job's flow runs, or None when the id is unknown or belongs to another job."""
    return read_tagged_run(job_tag(job), flow_run_id)


def project_runs(project_id: str, limit: int = 200) -> list[FlowRun]:
    """Every job's runs in the project, newest first, in one query by the project tag."""
    return tagged_runs(f"project:{project_id}", limit)


def read_project_run(project_id: str, flow_run_id: str) -> FlowRun | None:
    """One run, if it belongs to the project; None for unknown ids or other projects' runs."""
    return read_tagged_run(f"project:{project_id}", flow_run_id)


def tagged_runs(tag: str, limit: int) -> list[FlowRun]:
    """Flow runs carrying `tag`, newest first, leaving out runs scheduled in the future."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    flow_run_filter = FlowRunFilter(
        tags=FlowRunFilterTags(all_=[tag]),
        expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC)),
    )
    with prefect_client() as client:
        return client.read_flow_runs(
            flow_run_filter=flow_run_filter, sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=limit
        )


def read_tagged_run(tag: str, flow_run_id: str) -> FlowRun | None:
    """One flow run, or None when the id is unknown or the run does not carry `tag`."""
    from prefect.exceptions import ObjectNotFound

    try:
        run_id = UUID(flow_run_id)
    except ValueError:
        return None
    with prefect_client() as client:
        try:
            run = client.read_flow_run(run_id)
        except ObjectNotFound:
            return None
    return run if tag in (run.tags or []) else None


def logs(flow_run_id: str, page: int = 200) -> list[dict[str, Any]]:
    """Every INFO+ log line of a flow run, oldest first, as `{level, time, message}`."""
    import logging

    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId, LogFilterLevel
    from prefect.client.schemas.sorting import LogSort

    log_filter = LogFilter(
        flow_run_id=LogFilterFlowRunId(any_=[UUID(flow_run_id)]),
        level=LogFilterLevel(ge_=logging.INFO),  # debug lines are left out, as OLake does
    )
    found: list[dict[str, Any]] = []
    with prefect_client() as client:
        while True:
            batch = client.read_logs(
                log_filter=log_filter, limit=page, offset=len(found), sort=LogSort.TIMESTAMP_ASC
            )
            found += [
                {
                    "level": logging.getLevelName(log.level).lower(),
                    "time": log.timestamp.isoformat(),
                    "message": log.message,
                }
                for log in batch
            ]
            if len(batch) < page:
                return found


def _active(client: SyncPrefectClient, job: Job) -> list[FlowRun]:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType

    active = [StateType.RUNNING, StateType.PENDING, StateType.SCHEDULED, StateType.PAUSED]
    return client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=[job_tag(job)]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=active)),
            # Future scheduled runs are not "active"; pausing the schedule handles those.
            expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC)),
        )
    )


def _cancel(client: SyncPrefectClient, job: Job) -> list[str]:
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled, Cancelling

    cancelled = []
    for run in _active(client, job):
        started = run.state_type in (StateType.RUNNING, StateType.PENDING, StateType.PAUSED)
        # A started run needs its worker to stop the process; a due one has no process yet.
        # Never force: the orchestration rules keep the state machine consistent.
        client.set_flow_run_state(run.id, Cancelling() if started else Cancelled())
        cancelled.append(str(run.id))
    return cancelled


def cancel(job: Job) -> list[str]:
    """Ask the worker to stop the job's active runs; the ids of the runs asked."""
    with prefect_client() as client:
        return _cancel(client, job)
