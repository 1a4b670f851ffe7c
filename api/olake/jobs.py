"""OLake jobs as records: create, list, read, update, delete, activate, name checks."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session as DBSession

from api.deps import (
    CipherDep,
    CurrentUser,
    EditableProjectDep,
    ListCacheDep,
    ProjectDep,
    SessionDep,
    SettingsDep,
)
from api.olake.schemas import (
    ActivateIn,
    ActivateOut,
    CheckUniqueIn,
    Envelope,
    JobIn,
    JobOut,
    JobUpdateIn,
    NameOut,
    UniqueOut,
)
from api.read_cache import shared_answer
from api.services import jobs as service
from api.services import listings
from api.services import runs as run_service
from metadata import instances
from metadata import jobs as job_records
from metadata.errors import Invalid
from metadata.models import Destination, Source

PREFIX = "/api/v1/project/{project_id}"
router = APIRouter(prefix=PREFIX, tags=["olake: jobs"])


@router.post("/jobs", response_model=Envelope[JobOut])
def create_job(
    body: JobIn,
    project: EditableProjectDep,
    db: SessionDep,
    user: CurrentUser,
    cipher: CipherDep,
    settings: SettingsDep,
) -> Envelope[JobOut]:
    job = service.create(
        db, body, project_id=project.id, cipher=cipher, username=user.username, settings=settings
    )
    return Envelope(message="job created", data=JobOut(**service.to_public(job, None)))


@router.get("/jobs", response_model=Envelope[list[JobOut]])
async def list_jobs(
    request: Request,
    project: ProjectDep,
    db: SessionDep,
    cache: ListCacheDep,
    source_id: int | None = Query(None),
    dest_id: int | None = Query(None),
) -> Response:
    # Ready JSON bytes (see api.services.listings); response_model still documents the shape.
    project_id = project.id

    async def build(session: DBSession) -> bytes:
        jobs = await listings.job_list(
            session, cache, project_id=project_id, source_id=source_id, destination_id=dest_id
        )
        return jobs.body

    return await shared_answer(request, db, project_id, build)


@router.post("/jobs/check-unique", response_model=Envelope[UniqueOut])
@router.post("/check-unique", response_model=Envelope[UniqueOut])
def check_unique(body: CheckUniqueIn, project: ProjectDep, db: SessionDep) -> Envelope[UniqueOut]:
    name = body.job_name or body.name
    if not name:
        raise Invalid("Bad request: give job_name (or name with entity_type)")
    if body.entity_type == "job" or body.job_name:
        unique = job_records.is_name_free(db, project_id=project.id, name=name)
    else:
        model = Source if body.entity_type == "source" else Destination
        unique = instances.read_by_name(db, model, project_id=project.id, name=name) is None
    return Envelope(data=UniqueOut(unique=unique))


@router.get("/jobs/{id}", response_model=Envelope[JobOut])
async def read_job(
    request: Request, id: int, project: ProjectDep, db: SessionDep, cache: ListCacheDep
) -> Response:
    project_id = project.id

    async def build(session: DBSession) -> bytes:
        return listings.job_body(await listings.job_list(session, cache, project_id=project_id), id)

    return await shared_answer(request, db, project_id, build)


@router.put("/jobs/{id}", response_model=Envelope[JobOut])
def update_job(
    id: int,
    body: JobUpdateIn,
    project: EditableProjectDep,
    db: SessionDep,
    user: CurrentUser,
    cipher: CipherDep,
    settings: SettingsDep,
) -> Envelope[JobOut]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    job = service.update(db, job, body, cipher=cipher, username=user.username, settings=settings)
    message = "job updated"
    if body.difference_streams and run_service.stream_keys(body.difference_streams):
        # As OLake's server does: changed streams lose their old data before the next sync.
        run_id, keys = run_service.clear(db, job, settings, body.difference_streams)
        message = f"job updated; clearing {len(keys)} changed stream(s) (run {run_id})"
    run = job_records.latest_runs(db, [job.id]).get(job.id)
    return Envelope(message=message, data=JobOut(**service.to_public(job, run)))


@router.delete("/jobs/{id}", response_model=Envelope[NameOut])
def delete_job(
    id: int, project: EditableProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[NameOut]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    service.delete(db, job, settings=settings)
    return Envelope(message="job deleted", data=NameOut(name=job.name))


@router.post("/jobs/{id}/activate", response_model=Envelope[ActivateOut])
def activate_job(
    id: int,
    body: ActivateIn,
    project: EditableProjectDep,
    db: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> Envelope[ActivateOut]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    service.set_active(db, job, body.activate, settings=settings, username=user.username)
    return Envelope(message="job updated", data=ActivateOut(activate=job.activate))
