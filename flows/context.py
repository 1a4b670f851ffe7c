"""What a flow run needs, read from the metadata store: the job, its steps, decrypted configs.

The flow takes only a job id; configs are decrypted here, inside the run's process, and their
secrets registered with the log-masking filter before any connector code runs.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from connectors import logging as masking
from connectors.spec import secret_paths
from metadata.db import make_engine, make_session_factory, session_scope
from metadata.errors import NotFound
from metadata.models import Job, JobStep
from metadata.secrets import cipher_for, decrypt_config
from metadata.settings import Settings, get_settings

if TYPE_CHECKING:
    from connectors.base import ConfiguredStream


@dataclass(frozen=True)
class Endpoint:
    """A source or destination of a step, with its config decrypted."""

    id: int
    name: str
    type: str
    version: str
    config: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class StepContext:
    id: int
    position: int
    kind: str
    source: Endpoint
    destination: Endpoint
    streams_config: dict[str, Any] | None


@dataclass(frozen=True)
class JobContext:
    id: int
    uid: str
    name: str
    project_id: str
    steps: list[StepContext]
    max_parallel_streams: int


@cache
def session_factory() -> sessionmaker[Session]:
    """One engine per process: the flow run's process inherits the stack's environment."""
    return make_session_factory(make_engine(get_settings().sqlalchemy_url))


def session() -> AbstractContextManager[Session]:
    """A metadata session that commits on success (metadata.db.session_scope)."""
    return session_scope(session_factory())


def paths_of(kind: str, type: str, version: str) -> list[str]:
    """Secret paths as the API encrypted them (OLake nests destination fields under `writer`)."""
    paths = secret_paths(kind, type, version)
    return paths + [f"writer.{p}" for p in paths] if kind == "destination" else paths


def _endpoint(kind: str, row: Any, settings: Settings) -> Endpoint:
    cipher = cipher_for(settings.secret_key_value())
    config = decrypt_config(row.config or {}, paths_of(kind, row.type, row.version), cipher)
    masking.register_config(kind, row.type, row.version, config)
    return Endpoint(row.id, row.name, row.type, row.version, config)


def _step(step: JobStep, settings: Settings) -> StepContext:
    if step.source is None or step.destination is None:
        raise NotFound(f"step {step.position} of job {step.job_id} has no source or destination")
    return StepContext(
        id=step.id,
        position=step.position,
        kind=step.kind,
        source=_endpoint("source", step.source, settings),
        destination=_endpoint("destination", step.destination, settings),
        streams_config=step.streams_config,
    )


def load_job(job_id: int) -> JobContext:
    """The live job with decrypted configs; NotFound when it is missing or deleted."""
    settings = get_settings()
    with session() as db:
        job = db.get(Job, job_id)
        if job is None or job.deleted_at is not None:
            raise NotFound(f"job {job_id} not found (deleted?)")
        steps = [_step(step, settings) for step in job.steps]
        limit = settings.max_parallel_streams
        first = steps[0].streams_config if steps else None
        wanted = (first or {}).get("max_parallel_streams")
        if isinstance(wanted, int) and wanted >= 1:
            limit = min(limit, wanted)
        return JobContext(job.id, job.uid, job.name, job.project_id, steps, limit)


def job_name(job_id: int) -> str:
    with session() as db:
        job = db.get(Job, job_id)
        return job.name if job is not None else f"job {job_id}"


# The run's job, loaded once per process and shared by its task threads: tasks take ids.
_jobs: dict[int, JobContext] = {}
_catalogs: dict[tuple[int, int], dict[str, Any]] = {}


def current(job_id: int) -> JobContext:
    """The job of this run, loaded on first use (a retried task in a new process reloads)."""
    if job_id not in _jobs:
        job = load_job(job_id)
        _jobs[job_id] = job
        for s in job.steps:
            _catalogs[(job_id, s.id)] = s.streams_config or {}
    return _jobs[job_id]


def forget(job_id: int) -> None:
    """Drop the cached job so the next run in this process reads fresh configs."""
    job = _jobs.pop(job_id, None)
    for s in job.steps if job else []:
        _catalogs.pop((job_id, s.id), None)


def step(job_id: int, step_id: int) -> StepContext:
    for s in current(job_id).steps:
        if s.id == step_id:
            return s
    raise NotFound(f"step {step_id} is not part of job {job_id}")


def catalog(job_id: int, step_id: int) -> dict[str, Any]:
    step(job_id, step_id)
    return _catalogs.get((job_id, step_id)) or {}


def replace_catalog(job_id: int, step_id: int, new: dict[str, Any]) -> None:
    _catalogs[(job_id, step_id)] = new


def stream(job_id: int, step_id: int, key: str) -> ConfiguredStream:
    from connectors.catalog import configured_streams

    for configured in configured_streams(catalog(job_id, step_id)):
        if configured.key == key:
            return configured
    raise NotFound(f"stream {key} is not selected in step {step_id} of job {job_id}")


EXIT_GRACE = 1.0  # seconds for Prefect to report the cancellation before the process ends


def exit_soon(grace: float = EXIT_GRACE) -> None:
    """End the process after `grace` seconds even if a connector thread is still blocked.

    Python waits for task threads at exit, and a thread inside a driver call cannot be
    interrupted; ending the process closes its sockets, so the source's queries stop too.
    """
    import os
    import threading

    def hard_exit() -> None:
        from prefect.logging.handlers import APILogHandler

        APILogHandler().flush()  # the run's last log lines, then the end
        os._exit(143)

    timer = threading.Timer(grace, hard_exit)
    timer.daemon = True
    timer.start()
