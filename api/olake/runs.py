"""OLake job runs: sync now, run history (tasks), run logs in both forms, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import EditableProjectDep, ProjectDep, SessionDep, SettingsDep
from api.olake.schemas import Envelope, Strict
from api.services import runs as service
from metadata import jobs as job_records

PREFIX = "/api/v1/project/{project_id}"
router = APIRouter(prefix=PREFIX, tags=["olake: runs"])


class LogsIn(Strict):
    file_path: str | None = None


class TaskOut(BaseModel):
    """One run of a job, as OLake's UI lists it (`file_path` names the run for its logs)."""

    id: str
    name: str
    start_time: datetime | None
    runtime: int
    status: str
    file_path: str
    job_type: str


class LogLine(BaseModel):
    level: str
    time: str
    message: str


class TaskLogsOut(BaseModel):
    task_logs: list[LogLine]


class LogsPageOut(BaseModel):
    logs: list[LogLine]
    older_cursor: str
    newer_cursor: str
    has_more_older: bool
    has_more_newer: bool


@router.post("/jobs/{id}/sync", response_model=Envelope[None])
def sync_job(
    id: int, project: EditableProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[None]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    run_id = service.trigger(db, job, settings)
    return Envelope(message=f"sync started (run {run_id})")


@router.get("/jobs/{id}/tasks", response_model=Envelope[list[TaskOut]])
def job_tasks(
    id: int,
    project: ProjectDep,
    db: SessionDep,
    settings: SettingsDep,
    limit: int = Query(50, ge=1, le=200),
) -> Envelope[list[TaskOut]]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    return Envelope(
        data=[TaskOut(**task) for task in service.tasks(db, job, settings, limit=limit)]
    )


@router.get("/jobs/{id}/task/{run_id}/logs", response_model=Envelope[TaskLogsOut])
def task_logs(
    id: int, run_id: str, project: ProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[TaskLogsOut]:
    """The contract's form: every line at once."""
    job = job_records.read_job(db, project_id=project.id, id=id)
    lines = service.run_logs(job, settings, run_id)
    return Envelope(data=TaskLogsOut(task_logs=[LogLine(**line) for line in lines]))


@router.post("/jobs/{id}/tasks/{task_id}/logs", response_model=Envelope[LogsPageOut])
def task_logs_page(
    id: int,
    task_id: str,
    project: ProjectDep,
    db: SessionDep,
    settings: SettingsDep,
    body: LogsIn | None = None,
    cursor: int | None = Query(None, ge=0),
    limit: int = Query(200, ge=1, le=1000),
    direction: Literal["older", "newer"] = Query("older"),
) -> Envelope[LogsPageOut]:
    """The shipped UI's form: `file_path` names the run; paged, newest page first."""
    job = job_records.read_job(db, project_id=project.id, id=id)
    run_id = (body.file_path if body and body.file_path else None) or task_id
    lines = service.run_logs(job, settings, run_id)
    return Envelope(data=LogsPageOut(**service.page_logs(lines, cursor, limit, direction)))


@router.get(  # the shipped UI's form
    "/jobs/{id}/cancel", response_model=Envelope[None], operation_id="cancel_job_get"
)
@router.post("/jobs/{id}/cancel", response_model=Envelope[None], operation_id="cancel_job")
def cancel_job(
    id: int, project: EditableProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[None]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    cancelled = service.cancel(db, job, settings)
    if not cancelled:
        return Envelope(message="no active run to cancel")
    return Envelope(message=f"cancelling {len(cancelled)} run(s): {', '.join(cancelled)}")
