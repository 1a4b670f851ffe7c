"""Download a run's logs with the job's state (tar.gz), as OLake's UI offers it."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import ProjectDep, SessionDep, SettingsDep
from api.services import runs as run_service
from api.services.log_archive import log_archive
from metadata import jobs as job_records
from metadata.state import read_states

router = APIRouter(prefix="/api/v1/project/{project_id}", tags=["olake: jobs"])


@router.get(
    "/jobs/{id}/logs/download",
    response_class=Response,
    responses={200: {"content": {"application/gzip": {}}, "description": "logs and state"}},
)
def download_logs(
    id: int,
    project: ProjectDep,
    db: SessionDep,
    settings: SettingsDep,
    file_path: str = Query(min_length=1, max_length=64, description="the run's id"),
) -> Response:
    job = job_records.read_job(db, project_id=project.id, id=id)
    lines = run_service.run_logs(job, settings, file_path)
    states = {
        key: value for step in job.steps for key, value in read_states(db, step_id=step.id).items()
    }
    body = log_archive(file_path, lines, states)
    filename = f"{job.name}-{file_path}.tar.gz".replace('"', "")
    return Response(
        body,
        media_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
