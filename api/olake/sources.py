"""OLake sources: CRUD, versions, spec and test (shared shape), plus discover (streams)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import CipherDep, EditableProjectDep, SessionDep
from api.olake.instances import make_router
from api.olake.schemas import Envelope, StreamsIn, StreamsOut
from api.services import instances as service
from api.services.connectors import discover_streams
from metadata import jobs as job_records
from metadata.models import Source

router = make_router(Source, "sources")
streams_router = APIRouter(prefix="/api/v1/project/{project_id}", tags=["olake: sources"])


def _discover(
    body: StreamsIn, request: Request, project_id: str, db: SessionDep, cipher: CipherDep
) -> Envelope[StreamsOut]:
    config = body.config
    stored = service.stored_for_test(db, Source, project_id, None, body.name, body.type)
    if stored is not None:
        config = service.fill_masked(stored, config, cipher)
    previous = None
    if body.job_id is not None:
        job = job_records.read_job(db, project_id=project_id, id=body.job_id)
        previous = job.steps[0].streams_config if job.steps else None
    settings = request.app.state.settings
    timeout = max(60.0, settings.connector_timeout)
    catalog = discover_streams(
        body.type, body.version, config, previous, timeout, settings.connector_host_denylist
    )
    return Envelope(message="streams discovered", data=StreamsOut(streams_config=catalog))


@streams_router.post("/sources/streams", response_model=Envelope[StreamsOut])
def discover(
    body: StreamsIn,
    request: Request,
    project: EditableProjectDep,
    db: SessionDep,
    cipher: CipherDep,
) -> Envelope[StreamsOut]:
    """Discover a source's streams (what OLake's shipped UI calls)."""
    return _discover(body, request, project.id, db, cipher)


@streams_router.get("/source/streams", response_model=Envelope[StreamsOut])
async def discover_contract(
    request: Request, project: EditableProjectDep, db: SessionDep, cipher: CipherDep
) -> Envelope[StreamsOut]:
    """The contract's form: a GET with a JSON body."""
    body = StreamsIn.model_validate_json(await request.body() or b"{}")
    return await run_in_threadpool(_discover, body, request, project.id, db, cipher)
