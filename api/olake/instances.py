"""Routes shared by sources and destinations: CRUD, versions, spec, connection test."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session as DBSession

from api.deps import (
    CipherDep,
    CurrentUser,
    EditableProjectDep,
    ListCacheDep,
    ProjectDep,
    SessionDep,
)
from api.olake.schemas import (
    Envelope,
    InstanceIn,
    InstanceListItem,
    InstanceOut,
    InstanceUpdateIn,
    NameOut,
    SpecOut,
    TestIn,
    TestOut,
    TypeVersionIn,
    VersionsOut,
)
from api.read_cache import shared_answer
from api.services import instances as service
from api.services import listings
from api.services.connectors import connector_spec, known_versions, resolve_version, test_connection
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

    def spec_of(body: TypeVersionIn) -> Envelope[SpecOut]:
        version = resolve_version(kind, body.type, body.version)
        spec = connector_spec(kind, body.type, version)
        return Envelope(data=SpecOut(type=body.type, version=version, spec=spec))

    @router.post("/spec", response_model=Envelope[SpecOut], name=f"{kind}_spec")
    def spec_post(body: TypeVersionIn, project: ProjectDep) -> Envelope[SpecOut]:
        return spec_of(body)

    @router.get("/spec", response_model=Envelope[SpecOut], name=f"{kind}_spec_query")
    async def spec_get(
        request: Request, project: ProjectDep, type: str | None = None, version: str | None = None
    ) -> Envelope[SpecOut]:
        # The contract sends a body with GET; query parameters are the HTTP-friendly form.
        if type is None and await request.body():
            return spec_of(TypeVersionIn.model_validate_json(await request.body()))
        return spec_of(TypeVersionIn(type=type or "", version=version))

    @router.post("/test", response_model=Envelope[TestOut], name=f"test_{kind}")
    def test(
        body: TestIn,
        request: Request,
        project: EditableProjectDep,
        db: SessionDep,
        cipher: CipherDep,
    ) -> Envelope[TestOut]:
        config = body.config
        stored = service.stored_for_test(db, model, project.id, body.id, body.name, body.type)
        if stored is not None:
            config = service.fill_masked(stored, config, cipher)
        settings = request.app.state.settings
        result = test_connection(
            kind,
            body.type,
            body.version,
            config,
            settings.connector_timeout,
            settings.connector_host_denylist,
        )
        return Envelope(message="connection tested", data=TestOut(**result))

    @router.get("", response_model=Envelope[list[InstanceListItem]], name=f"list_{plural}")
    async def list_all(
        request: Request, project: ProjectDep, db: SessionDep, cache: ListCacheDep
    ) -> Response:
        # Ready JSON bytes (see api.services.listings); response_model still documents the shape.
        project_id = project.id

        async def build(session: DBSession) -> bytes:
            return await listings.instances_body(session, cache, model, project_id=project_id)

        return await shared_answer(request, db, project_id, build)

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
