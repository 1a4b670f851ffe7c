"""orc-rust-ator jobs: create with tasks, list, read, run now."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CipherDep, CurrentUser, DefaultProjectDep, SessionDep, SettingsDep
from api.orc.schemas import JobIn, JobOut, Queued
from api.services import task_jobs
from deployments import jobs as orchestration
from metadata import jobs as job_records
from metadata import runs as run_index
from metadata.errors import NotFound, Unavailable

router = APIRouter(prefix="/jobs", tags=["orc-rust-ator: jobs"])


@router.post("", response_model=JobOut)
def create_job(
    body: JobIn,
    project: DefaultProjectDep,
    db: SessionDep,
    user: CurrentUser,
    cipher: CipherDep,
    settings: SettingsDep,
) -> JobOut:
    job = task_jobs.create(
        db, body, project_id=project.id, cipher=cipher, username=user.username, settings=settings
    )
    return JobOut(**task_jobs.job_out(job))


@router.get("", response_model=list[JobOut])
def list_jobs(project: DefaultProjectDep, db: SessionDep) -> list[JobOut]:
    return [
        JobOut(**task_jobs.job_out(job)) for job in job_records.list_jobs(db, project_id=project.id)
    ]


@router.get("/{job_id}", response_model=JobOut)
def read_job(job_id: str, project: DefaultProjectDep, db: SessionDep) -> JobOut:
    job = job_records.read_job_by_uid(db, project_id=project.id, uid=job_id)
    return JobOut(**task_jobs.job_out(job))


@router.post("/{job_id}/run", response_model=Queued)
def run_job(
    job_id: str, project: DefaultProjectDep, db: SessionDep, settings: SettingsDep
) -> Queued:
    """Queue a run now. Unlike OLake's sync, a paused schedule does not block a manual run."""
    job = job_records.read_job_by_uid(db, project_id=project.id, uid=job_id)
    if not job.steps:
        raise NotFound(f"job {job_id} has no tasks")
    if not orchestration.enabled(settings):
        raise Unavailable("running jobs needs Prefect; orchestration is off")
    run = orchestration.trigger(job, settings)
    run_index.record_run(
        db, flow_run_id=str(run.id), job_id=job.id, state=run_index.PENDING, created_at=run.created
    )
    return Queued(run_id=str(run.id), status="queued")
