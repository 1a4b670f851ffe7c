"""Project settings (the failure webhook) and the installation's stable telemetry id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from metadata.models import Installation, ProjectSettings


def read_settings(db: DBSession, *, project_id: str) -> ProjectSettings:
    """The project's settings row, created empty on first read."""
    row = db.scalar(select(ProjectSettings).where(ProjectSettings.project_id == project_id))
    if row is None:
        row = ProjectSettings(project_id=project_id)
        db.add(row)
        db.flush()
    return row


def update_settings(
    db: DBSession, *, project_id: str, webhook_alert_url: str | None
) -> ProjectSettings:
    row = read_settings(db, project_id=project_id)
    row.webhook_alert_url = webhook_alert_url or None
    db.flush()
    return row


def telemetry_id(db: DBSession) -> str:
    """A random id made once per installation; nothing is ever sent anywhere with it."""
    row = db.scalar(select(Installation).order_by(Installation.id).limit(1))
    if row is None:
        row = Installation()
        db.add(row)
        db.flush()
    return row.telemetry_id
