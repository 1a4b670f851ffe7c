"""Jobs made of tasks (orc-rust-ator): each task a sync step from an extractor to a loader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.services import instances as instance_service
from api.services.jobs import validate_frequency
from deployments import jobs as orchestration
from metadata import jobs as job_records
from metadata.errors import Conflict
from metadata.jobs import StepSpec
from metadata.models import Destination, Job, JobStep, Source
from metadata.settings import Settings

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

# Prefect state types -> orc-rust-ator's run statuses.
RUN_STATUS = {
    "SCHEDULED": "queued",
    "PENDING": "queued",
    "PAUSED": "queued",
    "RUNNING": "running",
    "CANCELLING": "running",
    "COMPLETED": "success",
    "FAILED": "failed",
    "CRASHED": "failed",
    "CANCELLED": "cancelled",
}


def _split(config: Any) -> tuple[str, dict[str, Any]]:
    fields = config.model_dump()
    return fields.pop("type").lower(), fields


def _task_name(job_name: str, order: int, role: str) -> str:
    return f"{job_name[:200]} / task {order} {role}"


def create(
    db: DBSession, body: Any, *, project_id: str, cipher: Fernet, username: str, settings: Settings
) -> Job:
    validate_frequency(body.schedule)
    if not job_records.is_name_free(db, project_id=project_id, name=body.job_name):
        raise Conflict(f"a job named '{body.job_name}' already exists")
    steps = []
    for order, task in enumerate(body.tasks, start=1):
        source_type, source_config = _split(task.extractor_config)
        destination_type, destination_config = _split(task.loader_config)
        common: dict[str, Any] = {"project_id": project_id, "cipher": cipher, "username": username}
        source = instance_service.create(
            db,
            Source,
            name=_task_name(body.job_name, order, "extractor"),
            type=source_type,
            version=None,
            config=source_config,
            **common,
        )
        destination = instance_service.create(
            db,
            Destination,
            name=_task_name(body.job_name, order, "loader"),
            type=destination_type,
            version=None,
            config=destination_config,
            **common,
        )
        steps.append(StepSpec(source.id, destination.id))
    job = job_records.create_job(
        db,
        project_id=project_id,
        name=body.job_name,
        description=body.description,
        steps=steps,
        frequency=body.schedule,
        activate=body.is_active,
        username=username,
    )
    if orchestration.enabled(settings):
        db.refresh(job)  # the steps' sources and destinations name the deployment's tags
        orchestration.upsert(job, settings)
        db.flush()
    return job


def _connector(row: Source | Destination | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {"type": row.type, **instance_service.masked_config(row)}


def task_out(job: Job, step: JobStep) -> dict[str, Any]:
    return {
        "task_id": step.uid,
        "job_id": job.uid,
        "task_order": step.position + 1,
        "extractor_config": _connector(step.source),
        "loader_config": _connector(step.destination),
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


def job_out(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.uid,
        "job_name": job.name,
        "description": job.description,
        "schedule": job.frequency or "@manual",
        "is_active": job.activate,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "tasks": [task_out(job, step) for step in job.steps],
    }


def run_out(run: FlowRun, job_uids: dict[int, str]) -> dict[str, Any]:
    state_type = run.state_type.value if run.state_type is not None else "SCHEDULED"
    status = RUN_STATUS.get(state_type, "queued")
    job_id = (run.parameters or {}).get("job_id")
    failed = status == "failed" and run.state is not None
    return {
        "run_id": str(run.id),
        "job_id": job_uids.get(job_id) if isinstance(job_id, int) else None,
        "status": status,
        "triggered_by": "scheduled" if run.auto_scheduled else "manual",
        "started_at": run.start_time,
        "finished_at": run.end_time,
        "error_message": (run.state.message if failed and run.state else None) or None,
        "created_at": run.created,
    }


def job_uids(db: DBSession, project_id: str) -> dict[int, str]:
    """Every job's uid by id, deleted ones included: their runs stay readable."""
    rows = db.execute(select(Job.id, Job.uid).where(Job.project_id == project_id))
    return {id: uid for id, uid in rows}
