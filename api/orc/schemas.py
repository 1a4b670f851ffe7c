"""Request and response models of the orc-rust-ator dialect."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=255)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Credentials(Strict):
    username: Name
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class Registered(BaseModel):
    username: str
    message: str


class Token(BaseModel):
    token: str


class ConnectorConfig(Strict):
    """`{"type": "csv", "path": ...}`: the type picks the connector, the rest is its config."""

    model_config = ConfigDict(extra="allow")
    type: Annotated[str, Field(min_length=1, max_length=64)]


class TaskIn(Strict):
    extractor_config: ConnectorConfig
    loader_config: ConnectorConfig


class JobIn(Strict):
    job_name: Name
    description: Annotated[str, Field(max_length=4000)] | None = None
    schedule: Annotated[str, Field(min_length=1, max_length=128)]
    is_active: bool = True
    tasks: Annotated[list[TaskIn], Field(min_length=1, max_length=50)]


class TaskOut(BaseModel):
    task_id: str
    job_id: str
    task_order: int
    extractor_config: dict[str, Any]
    loader_config: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class JobOut(BaseModel):
    job_id: str
    job_name: str
    description: str | None
    schedule: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    tasks: list[TaskOut]


class RunOut(BaseModel):
    run_id: str
    job_id: str | None
    status: str
    triggered_by: str
    started_at: datetime | None
    finished_at: datetime | None
    error_message: str | None
    created_at: datetime | None


class Queued(BaseModel):
    run_id: str
    status: str
