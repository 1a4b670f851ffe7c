"""Jobs as records: ordered steps, soft delete, activation, and their latest runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.orm import selectinload

from metadata.errors import Conflict, NotFound
from metadata.models import Job, JobRun, JobStep, utcnow


@dataclass(frozen=True)
class StepSpec:
    source_id: int
    destination_id: int
    streams_config: dict[str, Any] | None = None
    kind: str = "sync"


def _ensure_unique(
    db: DBSession, *, project_id: str, name: str, exclude_id: int | None = None
) -> None:
    query = select(Job.id).where(
        Job.project_id == project_id, Job.name == name, Job.deleted_at.is_(None)
    )
    if exclude_id is not None:
        query = query.where(Job.id != exclude_id)
    if db.scalar(query) is not None:
        raise Conflict(f"a job named '{name}' already exists in this project")


def is_name_free(db: DBSession, *, project_id: str, name: str) -> bool:
    query = select(Job.id).where(
        Job.project_id == project_id, Job.name == name, Job.deleted_at.is_(None)
    )
    return db.scalar(query) is None


def create_job(
    db: DBSession,
    *,
    project_id: str,
    name: str,
    steps: Sequence[StepSpec],
    frequency: str | None,
    activate: bool = True,
    description: str | None = None,
    work_pool: str | None = None,
    username: str,
) -> Job:
    _ensure_unique(db, project_id=project_id, name=name)
    job = Job(
        project_id=project_id,
        name=name,
        frequency=frequency,
        activate=activate,
        description=description,
        work_pool=work_pool,
        created_by=username,
        updated_by=username,
        steps=[
            JobStep(
                position=position,
                kind=step.kind,
                source_id=step.source_id,
                destination_id=step.destination_id,
                streams_config=step.streams_config,
            )
            for position, step in enumerate(steps)
        ],
    )
    db.add(job)
    db.flush()
    return job


def _with_steps() -> Any:
    return selectinload(Job.steps).options(
        selectinload(JobStep.source), selectinload(JobStep.destination)
    )


def list_jobs(
    db: DBSession,
    *,
    project_id: str,
    source_id: int | None = None,
    destination_id: int | None = None,
) -> Sequence[Job]:
    query = select(Job).where(Job.project_id == project_id, Job.deleted_at.is_(None))
    if source_id is not None or destination_id is not None:
        steps = select(JobStep.job_id)
        if source_id is not None:
            steps = steps.where(JobStep.source_id == source_id)
        if destination_id is not None:
            steps = steps.where(JobStep.destination_id == destination_id)
        query = query.where(Job.id.in_(steps))
    return db.scalars(query.options(_with_steps()).order_by(Job.id)).all()


def read_job(db: DBSession, *, project_id: str, id: int) -> Job:
    job = db.scalar(select(Job).where(Job.id == id).options(_with_steps()))
    if job is None or job.project_id != project_id or job.deleted_at is not None:
        raise NotFound(f"job {id} not found")
    return job


def read_job_by_uid(db: DBSession, *, project_id: str, uid: str) -> Job:
    job = db.scalar(select(Job).where(Job.uid == uid).options(_with_steps()))
    if job is None or job.project_id != project_id or job.deleted_at is not None:
        raise NotFound(f"job {uid} not found")
    return job


def update_job(
    db: DBSession,
    job: Job,
    *,
    username: str,
    name: str | None = None,
    frequency: str | None = None,
    activate: bool | None = None,
    description: str | None = None,
    first_step: StepSpec | None = None,
) -> Job:
    if name is not None and name != job.name:
        _ensure_unique(db, project_id=job.project_id, name=name, exclude_id=job.id)
        job.name = name
    if frequency is not None:
        job.frequency = frequency
    if activate is not None:
        job.activate = activate
    if description is not None:
        job.description = description
    if first_step is not None:
        step = job.steps[0]
        step.source_id = first_step.source_id
        step.destination_id = first_step.destination_id
        if first_step.streams_config is not None:
            step.streams_config = first_step.streams_config
    job.updated_by = username
    job.updated_at = utcnow()
    db.flush()
    return job


def soft_delete_job(db: DBSession, job: Job) -> Job:
    job.deleted_at = utcnow()
    job.activate = False
    db.flush()
    return job


def latest_runs(db: DBSession, job_ids: Iterable[int]) -> dict[int, JobRun]:
    """The newest run of each job, in one query (no call per job)."""
    ids = list(job_ids)
    if not ids:
        return {}
    newest = (
        select(JobRun.job_id, func.max(JobRun.created_at).label("created_at"))
        .where(JobRun.job_id.in_(ids))
        .group_by(JobRun.job_id)
        .subquery()
    )
    query = select(JobRun).join(
        newest, (JobRun.job_id == newest.c.job_id) & (JobRun.created_at == newest.c.created_at)
    )
    return {run.job_id: run for run in db.scalars(query)}
