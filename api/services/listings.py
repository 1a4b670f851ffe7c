"""The job, source and destination lists as ready JSON bytes, cached per data revision.

A list of 1,000 jobs through ORM objects, one masking per job and pydantic models cost about
250 ms of CPU per request. Here it is built from plain rows (metadata.jobs.list_job_rows),
each connector's config is masked once, the JSON is written once, and the bytes are reused
until metadata.revision says that something the lists show has changed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from pydantic_core import to_json
from sqlalchemy import RowMapping
from sqlalchemy.orm import Session as DBSession

from api.services.connectors import secret_paths
from metadata import instances, revision
from metadata import jobs as job_records
from metadata.jobs import Listing
from metadata.models import Destination, Source
from metadata.secrets import mask_config

EMPTY_CONNECTOR = {"id": 0, "name": "", "type": "", "version": "", "config": "{}"}


class ListCache:
    """Answers by key, each valid for the revision read before it was built."""

    MAX_ENTRIES = 64  # filters come from the query string: bound what they can fill

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[int, bytes]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            if key not in self._locks and len(self._locks) >= self.MAX_ENTRIES:
                self._locks.clear()
                self._entries.clear()
            return self._locks.setdefault(key, threading.Lock())

    def get(self, db: DBSession, key: Hashable, build: Callable[[], bytes]) -> bytes:
        # The revision is read before the data: the bytes are then at least as new as the
        # revision they are stored under, whatever commits in between.
        current = revision.read(db)
        if current is None:
            return build()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == current:
            return entry[1]
        with self._lock(key):  # one build per key at a time; the waiters reuse it
            entry = self._entries.get(key)
            if entry is not None and entry[0] == current:
                return entry[1]
            body = build()
            self._entries[key] = (current, body)
            return body


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


def _run_fields(run: RowMapping | None) -> tuple[Any, Any]:
    if run is None:
        return None, None
    return run["start_time"] or run["created_at"], run["state"]


def job_dicts(listing: Listing) -> list[dict[str, Any]]:
    """Each job as api.olake.schemas.JobOut, field for field."""
    sources, destinations = Masker("source"), Masker("destination")
    out = []
    for job in listing.jobs:
        steps = listing.steps.get(job["id"])
        step = steps[0] if steps else None
        run = listing.runs.get(job["id"])
        last_time, last_state = _run_fields(run)
        source_id = step["source_id"] if step else None
        destination_id = step["destination_id"] if step else None
        out.append(
            {
                "id": job["id"],
                "name": job["name"],
                "source": _connector(listing.sources.get(source_id), sources),  # type: ignore[arg-type]
                "destination": _connector(
                    listing.destinations.get(destination_id),  # type: ignore[arg-type]
                    destinations,
                ),
                "streams_config": json.dumps((step["streams_config"] if step else None) or {}),
                "frequency": job["frequency"],
                "activate": job["activate"],
                "last_run_time": last_time,
                "last_run_state": last_state,
                "last_run_type": run["run_type"] if run else None,
                "created_at": job["created_at"],
                "updated_at": job["updated_at"],
                "created_by": job["created_by"],
                "updated_by": job["updated_by"],
            }
        )
    return out


def jobs_body(
    db: DBSession,
    cache: ListCache,
    *,
    project_id: str,
    source_id: int | None,
    destination_id: int | None,
) -> bytes:
    def build() -> bytes:
        listing = job_records.list_job_rows(
            db, project_id=project_id, source_id=source_id, destination_id=destination_id
        )
        return envelope("jobs listed", job_dicts(listing))

    return cache.get(db, ("jobs", project_id, source_id, destination_id), build)


def _instance_job(job: RowMapping, run: RowMapping | None) -> dict[str, Any]:
    """One entry of api.olake.schemas.InstanceJob, every field present as pydantic has it."""
    last_time, last_state = _run_fields(run)
    return {
        "id": job["id"],
        "name": job["name"],
        "job_name": job["name"],
        "activate": job["activate"],
        "last_run_time": last_time,
        "last_run_state": last_state,
        "last_runtime": last_time,
        "dest_name": None,
        "destination_name": None,
        "destination_type": None,
        "source_name": None,
        "source_type": None,
    }


def jobs_by_instance(listing: Listing, kind: str) -> dict[int, list[dict[str, Any]]]:
    """Per source (or destination) id, the live jobs with a step that uses it."""
    by_id: dict[int, list[dict[str, Any]]] = {}
    for job in listing.jobs:
        for step in listing.steps.get(job["id"], []):
            entry = _instance_job(job, listing.runs.get(job["id"]))
            if kind == "source":
                other = listing.destinations.get(step["destination_id"])
                if other is None or step["source_id"] is None:
                    continue
                entry.update(
                    dest_name=other["name"],
                    destination_name=other["name"],
                    destination_type=other["type"],
                )
                by_id.setdefault(step["source_id"], []).append(entry)
            else:
                other = listing.sources.get(step["source_id"])
                if other is None or step["destination_id"] is None:
                    continue
                entry.update(source_name=other["name"], source_type=other["type"])
                by_id.setdefault(step["destination_id"], []).append(entry)
    return by_id


def instances_body(
    db: DBSession, cache: ListCache, model: type[Source] | type[Destination], *, project_id: str
) -> bytes:
    """As api.olake.schemas.InstanceListItem: every live row with the live jobs using it."""
    kind = "source" if model is Source else "destination"

    def build() -> bytes:
        rows = instances.list_live(db, model, project_id=project_id)
        using = jobs_by_instance(job_records.list_job_rows(db, project_id=project_id), kind)
        masker = Masker(kind)
        data = [
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
        return envelope(f"{kind}s listed", data)

    return cache.get(db, (kind, project_id), build)
