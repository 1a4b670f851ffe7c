"""Sources and destinations share one shape: create, list, read, update and soft-delete them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from metadata.errors import Conflict, Invalid, NotFound
from metadata.models import Destination, Job, JobStep, Source, utcnow
from metadata.secrets import encrypt_config, keep_masked

Instance = TypeVar("Instance", bound=Source | Destination)

_LABEL: dict[type, str] = {Source: "source", Destination: "destination"}


def _ensure_unique(
    db: DBSession,
    model: type[Instance],
    *,
    project_id: str,
    name: str,
    exclude_id: int | None = None,
) -> None:
    query = select(model.id).where(
        model.project_id == project_id, model.name == name, model.deleted_at.is_(None)
    )
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.scalar(query) is not None:
        raise Conflict(f"a {_LABEL[model]} named '{name}' already exists in this project")


def create(
    db: DBSession,
    model: type[Instance],
    *,
    project_id: str,
    name: str,
    type: str,
    version: str,
    config: dict[str, Any],
    secret_paths: Sequence[str],
    cipher: Fernet,
    username: str,
) -> Instance:
    _ensure_unique(db, model, project_id=project_id, name=name)
    row = model(
        project_id=project_id,
        name=name,
        type=type,
        version=version,
        config=encrypt_config(config, secret_paths, cipher),
        created_by=username,
        updated_by=username,
    )
    db.add(row)
    db.flush()
    return row


def list_live(db: DBSession, model: type[Instance], *, project_id: str) -> Sequence[Instance]:
    query = select(model).where(model.project_id == project_id, model.deleted_at.is_(None))
    return db.scalars(query.order_by(model.id)).all()


def read(db: DBSession, model: type[Instance], *, project_id: str, id: int) -> Instance:
    row = db.get(model, id)
    if row is None or row.project_id != project_id or row.deleted_at is not None:
        raise NotFound(f"{_LABEL[model]} {id} not found")
    return row


def read_by_name(
    db: DBSession, model: type[Instance], *, project_id: str, name: str
) -> Instance | None:
    return db.scalar(
        select(model).where(
            model.project_id == project_id, model.name == name, model.deleted_at.is_(None)
        )
    )


def update(
    db: DBSession,
    row: Instance,
    *,
    name: str | None,
    type: str | None,
    version: str | None,
    config: dict[str, Any] | None,
    secret_paths: Sequence[str],
    cipher: Fernet,
    username: str,
) -> Instance:
    if name is not None and name != row.name:
        _ensure_unique(db, type_of(row), project_id=row.project_id, name=name, exclude_id=row.id)
        row.name = name
    if config is not None:
        # A secret sent back as the mask keeps the stored value; only when the type is unchanged.
        if type is None or type == row.type:
            config = keep_masked(config, row.config, secret_paths)
        row.config = encrypt_config(config, secret_paths, cipher)
    if type is not None:
        row.type = type
    if version is not None:
        row.version = version
    row.updated_by = username
    row.updated_at = utcnow()
    db.flush()
    return row


def live_jobs_using(db: DBSession, row: Instance) -> Sequence[Job]:
    column = JobStep.source_id if isinstance(row, Source) else JobStep.destination_id
    query = (
        select(Job)
        .join(JobStep, JobStep.job_id == Job.id)
        .where(column == row.id, Job.deleted_at.is_(None))
        .distinct()
    )
    return db.scalars(query).all()


def soft_delete(db: DBSession, row: Instance) -> Instance:
    jobs = live_jobs_using(db, row)
    if jobs:
        names = ", ".join(sorted(job.name for job in jobs))
        raise Invalid(f"{_LABEL[type_of(row)]} '{row.name}' is used by live jobs: {names}")
    row.deleted_at = utcnow()
    db.flush()
    return row


def type_of(row: Instance) -> type[Instance]:
    return Source if isinstance(row, Source) else Destination  # type: ignore[return-value]
