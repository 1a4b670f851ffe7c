"""Jobs as records: ordered steps, soft delete, activation, and their latest runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, Select, func, select
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.orm import selectinload

from metadata.errors import Conflict, NotFound
from metadata.models import Destination, Job, JobRun, JobStep, Source, utcnow


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


@dataclass
class Listing:
    """Live jobs of a project as plain rows (no ORM objects), for the list endpoints."""

    jobs: Sequence[RowMapping]
    steps: dict[int, list[RowMapping]]  # job id -> its steps by position
    sources: dict[int, RowMapping]
    destinations: dict[int, RowMapping]


def _live_job_ids(
    project_id: str, source_id: int | None, destination_id: int | None
) -> Select[tuple[int]]:
    query = select(Job.id).where(Job.project_id == project_id, Job.deleted_at.is_(None))
    if source_id is not None or destination_id is not None:
        steps = select(JobStep.job_id)  # one step must match both filters, as in list_jobs
        if source_id is not None:
            steps = steps.where(JobStep.source_id == source_id)
        if destination_id is not None:
            steps = steps.where(JobStep.destination_id == destination_id)
        query = query.where(Job.id.in_(steps))
    return query


def _instances(
    db: DBSession, model: type[Source] | type[Destination], ids: Iterable[int | None]
) -> dict[int, RowMapping]:
    # Deleted rows too: a job keeps showing the source it was built on, as the ORM path did.
    columns = (model.id, model.name, model.type, model.version, model.config)
    wanted = sorted({id for id in ids if id is not None})
    if not wanted:
        return {}
    rows = db.execute(select(*columns).where(model.id.in_(wanted))).mappings()
    return {row["id"]: row for row in rows}


def latest_run_rows(
    db: DBSession,
    *,
    project_id: str,
    source_id: int | None = None,
    destination_id: int | None = None,
) -> dict[int, RowMapping]:
    """What latest_runs gives for the jobs list_job_rows lists, as plain rows."""
    job_ids = _live_job_ids(project_id, source_id, destination_id)
    newest = (
        select(JobRun.job_id, func.max(JobRun.created_at).label("created_at"))
        .where(JobRun.job_id.in_(job_ids))
        .group_by(JobRun.job_id)
        .subquery()
    )
    columns = (JobRun.job_id, JobRun.state, JobRun.run_type, JobRun.start_time, JobRun.created_at)
    query = select(*columns).join(
        newest, (JobRun.job_id == newest.c.job_id) & (JobRun.created_at == newest.c.created_at)
    )
    return {row["job_id"]: row for row in db.execute(query).mappings()}


def list_job_rows(
    db: DBSession,
    *,
    project_id: str,
    source_id: int | None = None,
    destination_id: int | None = None,
) -> Listing:
    """What list_jobs gives, in four Core queries and without ORM objects."""
    ids = _live_job_ids(project_id, source_id, destination_id)
    job_columns = (
        Job.id,
        Job.name,
        Job.frequency,
        Job.activate,
        Job.created_at,
        Job.updated_at,
        Job.created_by,
        Job.updated_by,
    )
    jobs = db.execute(select(*job_columns).where(Job.id.in_(ids)).order_by(Job.id)).mappings().all()
    step_columns = (
        JobStep.job_id,
        JobStep.source_id,
        JobStep.destination_id,
        JobStep.streams_config,
    )
    steps: dict[int, list[RowMapping]] = {}
    query = select(*step_columns).where(JobStep.job_id.in_(ids))
    for step in db.execute(query.order_by(JobStep.job_id, JobStep.position)).mappings():
        steps.setdefault(step["job_id"], []).append(step)
    every_step = [step for job_steps in steps.values() for step in job_steps]
    return Listing(
        jobs=jobs,
        steps=steps,
        sources=_instances(db, Source, (step["source_id"] for step in every_step)),
        destinations=_instances(db, Destination, (step["destination_id"] for step in every_step)),
    )
