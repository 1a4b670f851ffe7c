"""orc-rust-ator runs: every run of the caller's jobs, read from Prefect flow runs."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import DefaultProjectDep, SessionDep, SettingsDep
from api.orc.schemas import RunOut
from api.services import task_jobs
from deployments import jobs as orchestration
from metadata.errors import NotFound

router = APIRouter(prefix="/runs", tags=["orc-rust-ator: runs"])


@router.get("", response_model=list[RunOut])
def list_runs(
    project: DefaultProjectDep,
    db: SessionDep,
    settings: SettingsDep,
    limit: int = Query(200, ge=1, le=1000),
) -> list[RunOut]:
    if not orchestration.enabled(settings):
        return []
    uids = task_jobs.job_uids(db, project.id)
    return [
        RunOut(**task_jobs.run_out(run, uids))
        for run in orchestration.project_runs(project.id, limit)
    ]


@router.get("/{run_id}", response_model=RunOut)
def read_run(
    run_id: str, project: DefaultProjectDep, db: SessionDep, settings: SettingsDep
) -> RunOut:
    run = (
        orchestration.read_project_run(project.id, run_id)
        if orchestration.enabled(settings)
        else None
    )
    if run is None:
        raise NotFound(f"run {run_id} not found")
    return RunOut(**task_jobs.run_out(run, task_jobs.job_uids(db, project.id)))
