"""A job's streams as OLake's UI edits them: which changes need a re-sync."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ProjectDep, SessionDep
from api.olake.schemas import Envelope, JsonObject, Strict
from api.services.stream_difference import stream_difference
from metadata import jobs as job_records

router = APIRouter(prefix="/api/v1/project/{project_id}", tags=["olake: jobs"])


class StreamDifferenceIn(Strict):
    updated_streams_config: JsonObject


class StreamDifferenceOut(BaseModel):
    difference_streams: dict[str, Any]


@router.post("/jobs/{id}/stream-difference", response_model=Envelope[StreamDifferenceOut])
def difference(
    id: int, body: StreamDifferenceIn, project: ProjectDep, db: SessionDep
) -> Envelope[StreamDifferenceOut]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    current = job.steps[0].streams_config if job.steps else None
    diff = stream_difference(current, body.updated_streams_config)
    return Envelope(data=StreamDifferenceOut(difference_streams=diff))
