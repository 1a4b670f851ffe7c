"""Clear a job's destination for some streams (a run of the job), and whether one is running."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import EditableProjectDep, ProjectDep, SessionDep, SettingsDep
from api.olake.schemas import Envelope, JsonObject, Strict
from api.services import runs as run_service
from metadata import jobs as job_records

router = APIRouter(prefix="/api/v1/project/{project_id}", tags=["olake: jobs"])


class ClearIn(Strict):
    streams_config: JsonObject


class ClearOut(BaseModel):
    message: str
    run_id: str
    streams: list[str]


class ClearStatusOut(BaseModel):
    running: bool


@router.post("/jobs/{id}/clear-destination", response_model=Envelope[ClearOut])
def clear_destination(
    id: int, body: ClearIn, project: EditableProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[ClearOut]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    run_id, streams = run_service.clear(db, job, settings, body.streams_config)
    message = f"clearing {len(streams)} stream(s) of {job.name} (run {run_id})"
    return Envelope(message=message, data=ClearOut(message=message, run_id=run_id, streams=streams))


@router.get("/jobs/{id}/clear-destination", response_model=Envelope[ClearStatusOut])
def clear_status(
    id: int, project: ProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[ClearStatusOut]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    return Envelope(data=ClearStatusOut(running=run_service.clear_running(job, settings)))
