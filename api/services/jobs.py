"""Jobs: resolve or create their source and destination, validate the frequency, shape output."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session as DBSession

from api.services import instances as instance_service
from deployments import jobs as orchestration
from deployments.schedules import FrequencyError, to_cron
from metadata import instances
from metadata import jobs as job_records
from metadata.errors import Conflict, Invalid
from metadata.jobs import StepSpec
from metadata.models import Destination, Job, JobRun, Source
from metadata.settings import Settings


def validate_frequency(frequency: str | None) -> str | None:
    try:
        to_cron(frequency)
    except FrequencyError as exc:
        raise Invalid(str(exc)) from None
    return frequency


def resolve_instance(
    db: DBSession,
    model: type[Source] | type[Destination],
    ref: Any,
    *,
    project_id: str,
    cipher: Fernet,
    username: str,
    update_existing: bool = False,
) -> Source | Destination:
    """An existing source/destination by name, or a new one when the body describes it."""
    kind = instance_service.kind_of(model)
    row = instances.read_by_name(db, model, project_id=project_id, name=ref.name)
    if row is None:
        if not ref.type:
            raise Invalid(
                f"{kind} '{ref.name}' does not exist; give its type and config to create it"
            )
        return instance_service.create(
            db,
            model,
            project_id=project_id,
            name=ref.name,
            type=ref.type,
            version=ref.version,
            config=ref.config or {},
            cipher=cipher,
            username=username,
        )
    if ref.type and ref.type != row.type:
        raise Invalid(f"{kind} '{ref.name}' is of type '{row.type}', not '{ref.type}'")
    if update_existing and ref.config is not None:
        instance_service.update(
            db,
            row,
            name=None,
            type=None,
            version=ref.version,
            config=ref.config,
            cipher=cipher,
            username=username,
        )
    return row


def create(
    db: DBSession,
    body: Any,
    *,
    project_id: str,
    cipher: Fernet,
    username: str,
    settings: Settings | None = None,
) -> Job:
    """The job and, when orchestration is on, its deployment (a Prefect outage is a 503)."""
    validate_frequency(body.frequency)
    if not job_records.is_name_free(db, project_id=project_id, name=body.name):
        raise Conflict(f"a job named '{body.name}' already exists in this project")
    common: dict[str, Any] = {"project_id": project_id, "cipher": cipher, "username": username}
    source = resolve_instance(db, Source, body.source, **common)
    destination = resolve_instance(db, Destination, body.destination, **common)
    job = job_records.create_job(
        db,
        project_id=project_id,
        name=body.name,
        steps=[StepSpec(source.id, destination.id, body.streams_config)],
        frequency=body.frequency,
        activate=body.activate,
        username=username,
    )
    if settings is not None and orchestration.enabled(settings):
        db.refresh(job)  # load the steps' source and destination for the deployment's tags
        orchestration.upsert(job, settings)
        db.flush()
    return job


def sync_deployment(db: DBSession, job: Job, settings: Settings, *, was_active: bool) -> None:
    """Bring the deployment in line with the job; pause or resume when activation changed."""
    if not orchestration.enabled(settings):
        return
    for step in job.steps:
        db.expire(step, ["source", "destination"])  # ids may have changed in this request
    orchestration.upsert(job, settings)
    if job.activate != was_active:
        orchestration.set_active(job, settings, job.activate)
    db.flush()


def set_active(db: DBSession, job: Job, active: bool, *, settings: Settings, username: str) -> Job:
    was_active = job.activate
    job_records.update_job(db, job, username=username, activate=active)
    if orchestration.enabled(settings):
        if job.activate != was_active or not job.deployment_id:
            orchestration.upsert(job, settings)  # also re-creates a deployment Prefect lost
        orchestration.set_active(job, settings, active)
        db.flush()
    return job


def delete(db: DBSession, job: Job, *, settings: Settings) -> Job:
    """Soft delete; its active run is cancelled and its deployment removed (runs stay)."""
    if orchestration.enabled(settings):
        orchestration.remove(job)
    return job_records.soft_delete_job(db, job)


def update(
    db: DBSession,
    job: Job,
    body: Any,
    *,
    cipher: Fernet,
    username: str,
    settings: Settings | None = None,
) -> Job:
    validate_frequency(body.frequency)
    was_active = job.activate
    step = job.steps[0]
    common: dict[str, Any] = {"project_id": job.project_id, "cipher": cipher, "username": username}
    first_step = None
    if body.source is not None or body.destination is not None or body.streams_config is not None:
        source = (
            resolve_instance(db, Source, body.source, update_existing=True, **common)
            if body.source is not None
            else step.source
        )
        destination = (
            resolve_instance(db, Destination, body.destination, update_existing=True, **common)
            if body.destination is not None
            else step.destination
        )
        assert source is not None and destination is not None
        first_step = StepSpec(source.id, destination.id, body.streams_config)
    job = job_records.update_job(
        db,
        job,
        username=username,
        name=body.name,
        frequency=body.frequency,
        activate=body.activate,
        first_step=first_step,
    )
    if settings is not None:
        sync_deployment(db, job, settings, was_active=was_active)
    return job


def _connector_out(row: Source | Destination | None) -> dict[str, Any]:
    if row is None:
        return {"id": 0, "name": "", "type": "", "version": "", "config": "{}"}
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "version": row.version,
        "config": instance_service.masked_config_text(row),
    }


def to_public(job: Job, run: JobRun | None) -> dict[str, Any]:
    step = job.steps[0] if job.steps else None
    return {
        "id": job.id,
        "name": job.name,
        "source": _connector_out(step.source if step else None),
        "destination": _connector_out(step.destination if step else None),
        "streams_config": json.dumps(step.streams_config if step and step.streams_config else {}),
        "frequency": job.frequency,
        "activate": job.activate,
        "last_run_time": (run.start_time or run.created_at) if run else None,
        "last_run_state": run.state if run else None,
        "last_run_type": run.run_type if run else None,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "created_by": job.created_by,
        "updated_by": job.updated_by,
    }
