"""Stream state per job step: read before a sync, commit after a durable write, clear."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DBSession

from metadata.models import JobState, utcnow


def read_states(db: DBSession, *, step_id: int) -> dict[str, dict[str, Any]]:
    """Every committed stream state of a step, keyed by stream (`namespace.name`)."""
    rows = db.scalars(select(JobState).where(JobState.step_id == step_id))
    return {row.stream: dict(row.state) for row in rows}


def read_state(db: DBSession, *, step_id: int, stream: str) -> dict[str, Any] | None:
    row = db.get(JobState, (step_id, stream))
    return dict(row.state) if row is not None else None


def commit_state(db: DBSession, *, step_id: int, stream: str, state: dict[str, Any] | None) -> None:
    """Store (or, with None, forget) a stream's state; the caller commits the session."""
    row = db.get(JobState, (step_id, stream))
    if state is None:
        if row is not None:
            db.delete(row)
    elif row is None:
        db.add(JobState(step_id=step_id, stream=stream, state=state))
    else:
        row.state = state
        row.updated_at = utcnow()
    db.flush()


def clear_states(db: DBSession, *, step_id: int, streams: list[str] | None = None) -> int:
    """Forget the state of some streams of a step (all when `streams` is None)."""
    query = delete(JobState).where(JobState.step_id == step_id)
    if streams is not None:
        query = query.where(JobState.stream.in_(streams))
    result = db.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)
