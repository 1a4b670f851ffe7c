"""Sources and destinations: secrets encrypted on the way in, masked on the way out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session as DBSession

from api.services.connectors import resolve_version, secret_paths
from metadata import instances
from metadata.models import Destination, Job, Source
from metadata.secrets import decrypt_config, keep_masked, mask_config

Instance = Source | Destination
KIND = {Source: "source", Destination: "destination"}


def kind_of(model: type[Instance]) -> str:
    return KIND[model]


def masked_config(row: Instance) -> dict[str, Any]:
    kind = "source" if isinstance(row, Source) else "destination"
    return mask_config(row.config, secret_paths(kind, row.type, row.version))


def masked_config_text(row: Instance) -> str:
    return json.dumps(masked_config(row))


def create(
    db: DBSession,
    model: type[Instance],
    *,
    project_id: str,
    name: str,
    type: str,
    version: str | None,
    config: dict[str, Any],
    cipher: Fernet,
    username: str,
) -> Instance:
    kind = kind_of(model)
    version = resolve_version(kind, type, version)
    return instances.create(
        db,
        model,
        project_id=project_id,
        name=name,
        type=type,
        version=version,
        config=config,
        secret_paths=secret_paths(kind, type, version),
        cipher=cipher,
        username=username,
    )


def update(
    db: DBSession,
    row: Instance,
    *,
    name: str | None,
    type: str | None,
    version: str | None,
    config: dict[str, Any] | None,
    cipher: Fernet,
    username: str,
) -> Instance:
    kind = "source" if isinstance(row, Source) else "destination"
    new_type = type or row.type
    new_version = resolve_version(kind, new_type, version or (row.version if not type else None))
    return instances.update(
        db,
        row,
        name=name,
        type=type,
        version=new_version,
        config=config,
        secret_paths=secret_paths(kind, new_type, new_version),
        cipher=cipher,
        username=username,
    )


def stored_for_test(
    db: DBSession,
    model: type[Instance],
    project_id: str,
    id: int | None,
    name: str | None,
    type: str,
) -> Instance | None:
    """The stored row a connection test refers to, if any and of the same type."""
    row: Instance | None = None
    if id is not None:
        row = db.get(model, id)  # type: ignore[assignment]
    elif name:
        row = instances.read_by_name(db, model, project_id=project_id, name=name)
    if row is None or row.project_id != project_id or row.deleted_at is not None:
        return None
    return row if row.type == type else None


def decrypted_config(row: Instance, cipher: Fernet) -> dict[str, Any]:
    kind = "source" if isinstance(row, Source) else "destination"
    return decrypt_config(row.config, secret_paths(kind, row.type, row.version), cipher)


def fill_masked(row: Instance, config: dict[str, Any], cipher: Fernet) -> dict[str, Any]:
    """A config sent back with `********` secrets gets the stored values for them."""
    kind = "source" if isinstance(row, Source) else "destination"
    paths = secret_paths(kind, row.type, row.version)
    return keep_masked(config, decrypted_config(row, cipher), paths)


def jobs_using(db: DBSession, row: Instance) -> Sequence[Job]:
    return instances.live_jobs_using(db, row)
