"""Secret key rotation: re-encrypt every stored secret from the old key to the new one."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from metadata.models import Destination, Source
from metadata.secrets import PREFIX


def _reencrypt(value: Any, old: Fernet, new: Fernet) -> tuple[Any, int]:
    if isinstance(value, str) and value.startswith(PREFIX):
        plain = old.decrypt(value[len(PREFIX) :].encode())
        return PREFIX + new.encrypt(plain).decode(), 1
    if isinstance(value, dict):
        count = 0
        out = {}
        for key, item in value.items():
            out[key], n = _reencrypt(item, old, new)
            count += n
        return out, count
    if isinstance(value, list):
        pairs = [_reencrypt(item, old, new) for item in value]
        return [item for item, _ in pairs], sum(n for _, n in pairs)
    return value, 0


def rotate(db: DBSession, old: Fernet, new: Fernet) -> tuple[int, int]:
    """(rows, secrets) re-encrypted, deleted rows included; all or nothing in one transaction."""
    rows = secrets = 0
    instances: list[Source | Destination] = [*db.scalars(select(Source))]
    instances += db.scalars(select(Destination))
    for row in instances:
        config, count = _reencrypt(row.config, old, new)
        if count:
            row.config = config
            rows, secrets = rows + 1, secrets + count
    db.flush()
    return rows, secrets
