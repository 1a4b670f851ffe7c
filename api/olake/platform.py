"""What OLake's shipped UI calls beyond the contract: settings, releases, telemetry id, modules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator

from api.deps import CurrentUser, EditableProjectDep, ProjectDep, SessionDep
from api.health import package_version
from api.olake.schemas import Envelope, Strict
from metadata import project_settings

router = APIRouter(tags=["olake: platform"])


class SettingsOut(BaseModel):
    id: int
    project_id: str
    webhook_alert_url: str


class SettingsIn(Strict):
    webhook_alert_url: str | None = Field(None, max_length=2048)

    @field_validator("webhook_alert_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


def _settings_out(row: Any) -> SettingsOut:
    return SettingsOut(
        id=row.id, project_id=row.project_id, webhook_alert_url=row.webhook_alert_url or ""
    )


@router.get("/api/v1/project/{project_id}/settings", response_model=Envelope[SettingsOut])
def read_settings(project: ProjectDep, db: SessionDep) -> Envelope[SettingsOut]:
    row = project_settings.read_settings(db, project_id=project.id)
    return Envelope(data=_settings_out(row))


@router.put("/api/v1/project/{project_id}/settings", response_model=Envelope[SettingsOut])
def update_settings(
    body: SettingsIn, project: EditableProjectDep, db: SessionDep
) -> Envelope[SettingsOut]:
    row = project_settings.update_settings(
        db, project_id=project.id, webhook_alert_url=body.webhook_alert_url
    )
    return Envelope(message="settings updated", data=_settings_out(row))


class Release(BaseModel):
    title: str | None = None
    version: str | None = None
    description: str
    tags: list[str] = []
    date: str
    link: str


class ReleaseTrack(BaseModel):
    current_version: str | None = None
    releases: list[Release] = []


class ReleasesOut(BaseModel):
    """OLake's shape: one track per product; we have one, prefect-olake itself."""

    olake_ui_worker: ReleaseTrack


@router.get("/api/v1/platform/releases", response_model=Envelope[ReleasesOut])
def releases(user: CurrentUser, limit: int = Query(10, ge=0, le=100)) -> Envelope[ReleasesOut]:
    """Our own release list; nothing is fetched from anywhere, so no release is listed."""
    track = ReleaseTrack(current_version=f"v{package_version()}", releases=[])
    return Envelope(data=ReleasesOut(olake_ui_worker=track))


class TelemetryOut(BaseModel):
    telemetry_id: str
    # OLake's UI sends analytics to a third party when `user_id` is set: it never is here.
    user_id: str = ""


@router.get("/telemetry-id", response_model=Envelope[TelemetryOut])
def telemetry(db: SessionDep) -> Envelope[TelemetryOut]:
    return Envelope(data=TelemetryOut(telemetry_id=project_settings.telemetry_id(db)))


class OptStatusOut(BaseModel):
    enabled: bool
    available: bool
    message: str


@router.get("/api/v1/platform/opt/status", response_model=Envelope[OptStatusOut])
def optimization_status(user: CurrentUser) -> Envelope[OptStatusOut]:
    """The optimization module is not part of prefect-olake: the UI hides it on `enabled: false`."""
    status = OptStatusOut(enabled=False, available=False, message="optimization is not available")
    return Envelope(data=status)
