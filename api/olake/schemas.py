"""Request and response models of the OLake dialect, apart from the ORM tables."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

T = TypeVar("T")


def _json_object(value: Any) -> Any:
    """The shipped UI sends configs as JSON strings; the contract as objects. Take both."""
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value


JsonObject = Annotated[dict[str, Any], BeforeValidator(_json_object)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
TypeName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Version = Annotated[str, Field(max_length=64)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Envelope(BaseModel, Generic[T]):
    success: bool = True
    message: str = ""
    data: T | None = None


# Auth


class LoginIn(Strict):
    username: Name
    password: Password


class SignupIn(Strict):
    username: Name
    password: Password
    email: Annotated[str, Field(max_length=320)] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("not a valid email address")
        return value.lower()


class UserOut(BaseModel):
    username: str
    email: str | None = None


class LoginOut(BaseModel):
    username: str
    token: str


# Sources and destinations


class InstanceIn(Strict):
    name: Name
    type: TypeName
    version: Version | None = None
    config: JsonObject = Field(default_factory=dict)


class InstanceUpdateIn(Strict):
    name: Name | None = None
    type: TypeName | None = None
    version: Version | None = None
    config: JsonObject | None = None


class InstanceOut(BaseModel):
    id: int
    name: str
    type: str
    version: str
    config: str | dict[str, Any]


class InstanceJob(BaseModel):
    id: int
    name: str
    job_name: str
    activate: bool
    last_run_time: datetime | None = None
    last_run_state: str | None = None
    last_runtime: datetime | None = None
    dest_name: str | None = None
    destination_name: str | None = None
    destination_type: str | None = None
    source_name: str | None = None
    source_type: str | None = None


class InstanceListItem(InstanceOut):
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    updated_by: str | None
    jobs: list[InstanceJob]


class NameOut(BaseModel):
    name: str


class VersionsOut(BaseModel):
    version: list[str]


class TypeVersionIn(Strict):
    type: TypeName
    version: Version | None = None


class TestIn(Strict):
    """A connection test; `id` or `name` of a stored one lets masked secrets be filled in."""

    type: TypeName
    version: Version | None = None
    config: JsonObject = Field(default_factory=dict)
    id: int | None = None
    name: Name | None = None


class ConnectionResult(BaseModel):
    status: str
    message: str


class LogLine(BaseModel):
    level: str
    time: str
    message: str


class TestOut(BaseModel):
    connection_result: ConnectionResult
    logs: list[LogLine]


class StreamsIn(Strict):
    name: Name | None = None
    type: TypeName
    version: Version | None = None
    config: JsonObject = Field(default_factory=dict)
    job_id: int | None = None
    job_name: Name | None = None
    max_discover_threads: int | None = Field(None, ge=1, le=64)


class StreamsOut(BaseModel):
    streams_config: dict[str, Any]


class SpecOut(BaseModel):
    type: str
    version: str
    spec: dict[str, Any]


# Jobs


class JobConnectorIn(Strict):
    """A job's source or destination: an existing one by name, or created inline."""

    name: Name
    type: TypeName | None = None
    version: Version | None = None
    config: JsonObject | None = None


class JobIn(Strict):
    name: Name
    source: JobConnectorIn
    destination: JobConnectorIn
    frequency: Annotated[str, Field(max_length=128)] | None = None
    streams_config: JsonObject | None = None
    activate: bool = True


class JobUpdateIn(Strict):
    name: Name | None = None
    source: JobConnectorIn | None = None
    destination: JobConnectorIn | None = None
    frequency: Annotated[str, Field(max_length=128)] | None = None
    streams_config: JsonObject | None = None
    activate: bool | None = None
    # Streams whose change needs a re-sync (from stream-difference): cleared after the update.
    difference_streams: JsonObject | None = None


class JobConnectorOut(BaseModel):
    id: int
    name: str
    type: str
    version: str
    config: str


class JobOut(BaseModel):
    id: int
    name: str
    source: JobConnectorOut
    destination: JobConnectorOut
    streams_config: str
    frequency: str | None
    activate: bool
    last_run_time: datetime | None = None
    last_run_state: str | None = None
    last_run_type: str | None = None
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    updated_by: str | None


class ActivateIn(Strict):
    activate: bool


class ActivateOut(BaseModel):
    activate: bool


class CheckUniqueIn(Strict):
    job_name: Name | None = None
    name: Name | None = None
    entity_type: Literal["job", "source", "destination"] = "job"


class UniqueOut(BaseModel):
    unique: bool
