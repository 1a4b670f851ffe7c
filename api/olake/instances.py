"""Routes shared by sources and destinations: CRUD, versions, spec, connection test."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api.deps import CipherDep, CurrentUser, EditableProjectDep, ProjectDep, SessionDep
from api.olake.schemas import (
    Envelope,
    InstanceIn,
    InstanceJob,
    InstanceListItem,
    InstanceOut,
    InstanceUpdateIn,
    NameOut,
    VersionsOut,
)
from api.services import instances as service
from api.services.connectors import known_versions
from metadata import instances
from metadata.models import Destination, Source


def _out(row: Source | Destination, config: dict[str, Any] | str | None = None) -> InstanceOut:
    return InstanceOut(
        id=row.id,
        name=row.name,
        type=row.type,
        version=row.version,
        config=service.masked_config_text(row) if config is None else config,
    )


def make_router(model: type[Source] | type[Destination], plural: str) -> APIRouter:
    kind = service.kind_of(model)
    router = APIRouter(prefix=f"/api/v1/project/{{project_id}}/{plural}", tags=[f"olake: {plural}"])

    @router.get("/versions", response_model=Envelope[VersionsOut], name=f"{kind}_versions")
    def versions(project: ProjectDep, type: str = Query(min_length=1)) -> Envelope[VersionsOut]:
        return Envelope(data=VersionsOut(version=known_versions(kind, type)))

    @router.get("", response_model=Envelope[list[InstanceListItem]], name=f"list_{plural}")
    def list_all(project: ProjectDep, db: SessionDep) -> Envelope[list[InstanceListItem]]:
        items = [
            InstanceListItem(
                **_out(row).model_dump(),
                created_at=row.created_at,
                updated_at=row.updated_at,
                created_by=row.created_by,
                updated_by=row.updated_by,
                jobs=[InstanceJob(**job) for job in jobs],
            )
            for row, jobs in service.list_with_jobs(db, model, project_id=project.id)
        ]
        return Envelope(message=f"{plural} listed", data=items)

    @router.post("", response_model=Envelope[InstanceOut], name=f"create_{kind}")
    def create(
        body: InstanceIn,
        project: EditableProjectDep,
        db: SessionDep,
        user: CurrentUser,
        cipher: CipherDep,
    ) -> Envelope[InstanceOut]:
        row = service.create(
            db,
            model,
            project_id=project.id,
            name=body.name,
            type=body.type,
            version=body.version,
            config=body.config,
            cipher=cipher,
            username=user.username,
        )
        return Envelope(message=f"{kind} created", data=_out(row, service.masked_config(row)))

    @router.get("/{id}", response_model=Envelope[InstanceOut], name=f"read_{kind}")
    def read(id: int, project: ProjectDep, db: SessionDep) -> Envelope[InstanceOut]:
        row = instances.read(db, model, project_id=project.id, id=id)
        return Envelope(data=_out(row))

    @router.put("/{id}", response_model=Envelope[InstanceOut], name=f"update_{kind}")
    def update(
        id: int,
        body: InstanceUpdateIn,
        project: EditableProjectDep,
        db: SessionDep,
        user: CurrentUser,
        cipher: CipherDep,
    ) -> Envelope[InstanceOut]:
        row = instances.read(db, model, project_id=project.id, id=id)
        row = service.update(
            db,
            row,
            name=body.name,
            type=body.type,
            version=body.version,
            config=body.config,
            cipher=cipher,
            username=user.username,
        )
        return Envelope(message=f"{kind} updated", data=_out(row, service.masked_config(row)))

    @router.delete("/{id}", response_model=Envelope[NameOut], name=f"delete_{kind}")
    def delete(id: int, project: EditableProjectDep, db: SessionDep) -> Envelope[NameOut]:
        row = instances.read(db, model, project_id=project.id, id=id)
        instances.soft_delete(db, row)
        return Envelope(message=f"{kind} deleted", data=NameOut(name=row.name))

    return router
