"""The job, source and destination lists as ready JSON bytes, cached per data revision.

A list of 1,000 jobs through ORM objects, one masking per job and pydantic models cost about
250 ms of CPU per request. Here it is built from plain rows (metadata.jobs.list_job_rows),
each connector's config is masked once and the JSON is written once. Two caches keep the work
off most requests (metadata.revision): the job fields, rebuilt only when jobs, steps, sources
or destinations change, and the whole answer, rebuilt with fresh last-run fields when runs
change too (a running sync changes its run every few seconds).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from fastapi.concurrency import run_in_threadpool
from pydantic_core import to_json
from sqlalchemy import RowMapping
from sqlalchemy.orm import Session as DBSession

from api.services.connectors import secret_paths
from metadata import instances, revision
from metadata import jobs as job_records
from metadata.errors import NotFound
from metadata.jobs import Listing
from metadata.models import Destination, Source
from metadata.secrets import mask_config

T = TypeVar("T")
EMPTY_CONNECTOR = {"id": 0, "name": "", "type": "", "version": "", "config": "{}"}


class ListCache:
    """Built values by key, each valid for the version it was built under."""

    MAX_ENTRIES = 64  # filters come from the query string: bound what they can fill

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[Hashable, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            if key not in self._locks and len(self._locks) >= self.MAX_ENTRIES:
                self._locks.clear()
                self._entries.clear()
            return self._locks.setdefault(key, threading.Lock())

    def peek(self, key: Hashable, version: Hashable | None) -> Any:
        """The value built for `version`, or None; never builds (built values are never None)."""
        entry = self._entries.get(key)
        return (
            entry[1] if entry is not None and version is not None and entry[0] == version else None
        )

    def get(self, key: Hashable, version: Hashable | None, build: Callable[[], T]) -> T:
        """The value built for `version`; the caller reads the version before any data, so
        that what is built is at least as new as the version it is stored under."""
        if version is None:
            return build()
        found = self.peek(key, version)
        if found is not None:
            return cast(T, found)
        with self._lock(key):  # one build per key at a time; the waiters reuse it
            found = self.peek(key, version)
            if found is not None:
                return cast(T, found)
            value = build()
            self._entries[key] = (version, value)
            return value


class Masker:
    """Masked config text of each connector row, computed once per list."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._done: dict[int, str] = {}

    def __call__(self, row: Mapping[Any, Any]) -> str:
        if row["id"] not in self._done:
            paths = secret_paths(self.kind, row["type"], row["version"])
            self._done[row["id"]] = json.dumps(mask_config(row["config"], paths))
        return self._done[row["id"]]


def envelope(message: str, data: Any) -> bytes:
    """The OLake envelope as JSON, serialized as pydantic would (datetimes end in Z)."""
    return to_json({"success": True, "message": message, "data": data})


def _connector(row: RowMapping | None, masker: Masker) -> dict[str, Any]:
    if row is None:
        return dict(EMPTY_CONNECTOR)
    keys = ("id", "name", "type", "version")
    return {**{key: row[key] for key in keys}, "config": masker(row)}


def _last_run(run: RowMapping | None) -> tuple[Any, Any]:
    if run is None:
        return None, None
    return run["start_time"] or run["created_at"], run["state"]


def _job_dict(job: RowMapping, listing: Listing, sources: Masker, dests: Masker) -> dict[str, Any]:
    """api.olake.schemas.JobOut, field for field; the last-run fields are filled in later."""
    steps = listing.steps.get(job["id"])
    step = steps[0] if steps else None
    source = listing.sources.get(step["source_id"]) if step else None
    destination = listing.destinations.get(step["destination_id"]) if step else None
    return {
        "id": job["id"],
        "name": job["name"],
        "source": _connector(source, sources),
        "destination": _connector(destination, dests),
        "streams_config": json.dumps((step["streams_config"] if step else None) or {}),
        "frequency": job["frequency"],
        "activate": job["activate"],
        "last_run_time": None,
        "last_run_state": None,
        "last_run_type": None,
        "created_at": job["created_at"],
        "updated_at": job["updated_at"],
        "created_by": job["created_by"],
        "updated_by": job["updated_by"],
    }


def job_dicts(listing: Listing) -> list[dict[str, Any]]:
    sources, destinations = Masker("source"), Masker("destination")
    return [_job_dict(job, listing, sources, destinations) for job in listing.jobs]


def _with_run(job: dict[str, Any], run: RowMapping | None) -> dict[str, Any]:
    if run is None:
        return job
    last_time, last_state = _last_run(run)
    # Updating keys that exist keeps their place: the field order stays JobOut's.
    return {
        **job,
        "last_run_time": last_time,
        "last_run_state": last_state,
        "last_run_type": run["run_type"],
    }


@dataclass(frozen=True)
class JobList:
    body: bytes  # the whole list answer
    by_id: dict[int, dict[str, Any]]  # each job, for the read endpoint


async def job_list(
    db: DBSession,
    cache: ListCache,
    *,
    project_id: str,
    source_id: int | None = None,
    destination_id: int | None = None,
) -> JobList:
    """The jobs list, from the event loop: a cached answer at once (no I/O once the request
    has read the revisions to authenticate), else built in the thread pool."""
    filters = (project_id, source_id, destination_id)
    cached: JobList | None = cache.peek(("jobs", *filters), _known(db))
    if cached is not None:
        return cached
    return await run_in_threadpool(_build_job_list, db, cache, filters)


def _known(db: DBSession) -> tuple[int, int] | None:
    revisions = revision.known(db)
    return revisions and revisions.data


def _build_job_list(
    db: DBSession, cache: ListCache, filters: tuple[str, int | None, int | None]
) -> JobList:
    revisions = revision.read(db)  # before any data: see ListCache.get
    versions = revisions and revisions.data
    project_id, source_id, destination_id = filters

    def fields() -> list[dict[str, Any]]:
        listing = job_records.list_job_rows(
            db, project_id=project_id, source_id=source_id, destination_id=destination_id
        )
        return job_dicts(listing)

    def build() -> JobList:
        jobs = cache.get(("job fields", *filters), versions and versions[0], fields)
        runs = job_records.latest_run_rows(
            db, project_id=project_id, source_id=source_id, destination_id=destination_id
        )
        full = [_with_run(job, runs.get(job["id"])) for job in jobs]
        return JobList(envelope("jobs listed", full), {job["id"]: job for job in full})

    return cache.get(("jobs", *filters), versions, build)


def job_body(jobs: JobList, id: int) -> bytes:
    """One job, taken from the project's list: its live jobs are exactly those."""
    job = jobs.by_id.get(id)
    if job is None:
        raise NotFound(f"job {id} not found")
    return envelope("", job)


def _instance_job(job: RowMapping) -> dict[str, Any]:
    """api.olake.schemas.InstanceJob, every field present as pydantic has it."""
    return {
        "id": job["id"],
        "name": job["name"],
        "job_name": job["name"],
        "activate": job["activate"],
        "last_run_time": None,
        "last_run_state": None,
        "last_runtime": None,
        "dest_name": None,
        "destination_name": None,
        "destination_type": None,
        "source_name": None,
        "source_type": None,
    }


def jobs_by_instance(listing: Listing, kind: str) -> dict[int, list[dict[str, Any]]]:
    """Per source (or destination) id, the live jobs with a step that uses it."""
    own, other_key = "source_id", "destination_id"
    others = listing.destinations
    if kind == "destination":
        own, other_key, others = "destination_id", "source_id", listing.sources
    by_id: dict[int, list[dict[str, Any]]] = {}
    for job in listing.jobs:
        for step in listing.steps.get(job["id"], []):
            other = others.get(step[other_key]) if step[other_key] is not None else None
            if other is None or step[own] is None:
                continue
            entry = _instance_job(job)
            if kind == "source":
                entry.update(
                    dest_name=other["name"],
                    destination_name=other["name"],
                    destination_type=other["type"],
                )
            else:
                entry.update(source_name=other["name"], source_type=other["type"])
            by_id.setdefault(step[own], []).append(entry)
    return by_id


def _instance_items(
    db: DBSession, model: type[Source] | type[Destination], kind: str, project_id: str
) -> list[dict[str, Any]]:
    """api.olake.schemas.InstanceListItem for every live row; last-run fields filled later."""
    rows = instances.list_live(db, model, project_id=project_id)
    using = jobs_by_instance(job_records.list_job_rows(db, project_id=project_id), kind)
    masker = Masker(kind)
    return [
        {
            "id": row.id,
            "name": row.name,
            "type": row.type,
            "version": row.version,
            "config": masker(
                {"id": row.id, "type": row.type, "version": row.version, "config": row.config}
            ),
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "created_by": row.created_by,
            "updated_by": row.updated_by,
            "jobs": using.get(row.id, []),
        }
        for row in rows
    ]


def _entry_with_run(entry: dict[str, Any], run: RowMapping | None) -> dict[str, Any]:
    if run is None:
        return entry
    last_time, last_state = _last_run(run)
    return {
        **entry,
        "last_run_time": last_time,
        "last_run_state": last_state,
        "last_runtime": last_time,
    }


async def instances_body(
    db: DBSession, cache: ListCache, model: type[Source] | type[Destination], *, project_id: str
) -> bytes:
    """Every live source (or destination) with the live jobs that use it; from the event loop,
    as job_list."""
    kind = "source" if model is Source else "destination"
    cached: bytes | None = cache.peek((kind, project_id), _known(db))
    if cached is not None:
        return cached
    return await run_in_threadpool(_build_instances_body, db, cache, model, project_id)


def _build_instances_body(
    db: DBSession, cache: ListCache, model: type[Source] | type[Destination], project_id: str
) -> bytes:
    kind = "source" if model is Source else "destination"
    revisions = revision.read(db)  # before any data: see ListCache.get
    versions = revisions and revisions.data

    def build() -> bytes:
        items = cache.get(
            (f"{kind} fields", project_id),
            versions and versions[0],
            lambda: _instance_items(db, model, kind, project_id),
        )
        runs = job_records.latest_run_rows(db, project_id=project_id)
        full = [
            {**item, "jobs": [_entry_with_run(e, runs.get(e["id"])) for e in item["jobs"]]}
            for item in items
        ]
        return envelope(f"{kind}s listed", full)

    return cache.get((kind, project_id), versions, build)
