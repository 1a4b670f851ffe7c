"""Revision counters, bumped in the same transaction as any change the list endpoints show.

`jobs` counts changes to jobs, their steps, sources and destinations; `runs` counts changes
to job runs, which a running sync makes every few seconds and which touch only the last-run
fields. A cached answer built after reading the counters stays current while they do. That
holds only if every writer bumps them, so the hooks sit on the ORM Session class itself (every
session of every process: API, worker, flows), not on one factory.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from metadata.models import Destination, Job, JobRun, JobStep, Revision, Source

JOBS, RUNS = "jobs", "runs"
_CHANGED = "olake_revisions_changed"
_TRACKED: dict[str, tuple[type, ...]] = {
    JOBS: (Job, JobStep, Source, Destination),
    RUNS: (JobRun,),
}


def read(db: Session) -> tuple[int, int] | None:
    """(jobs, runs); None when a row is missing (then nothing may be cached)."""
    query = select(Revision.name, Revision.value).where(Revision.name.in_((JOBS, RUNS)))
    values = {name: value for name, value in db.execute(query)}
    return (values[JOBS], values[RUNS]) if len(values) == 2 else None


def _changed(session: Session) -> set[str]:
    changed: set[str] = session.info.setdefault(_CHANGED, set())
    return changed


def _note_flush(session: Session, _context: Any) -> None:
    # after_flush still sees the pre-flush collections and attribute history; an object set
    # to the values it had is dirty but unchanged, and needs no bump.
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]
    touched = (*session.new, *dirty, *session.deleted)
    for name, classes in _TRACKED.items():
        if any(isinstance(obj, classes) for obj in touched):
            _changed(session).add(name)


def _note_statement(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE/INSERT bypass the unit of work: count them as changes to both.
    if state.is_update or state.is_delete or state.is_insert:
        _changed(state.session).update(_TRACKED)


def _bump(session: Session) -> None:
    # Flush first: commit fires before_commit before its own final flush. Bumping last in
    # the transaction (in a fixed order) also keeps the counters' row locks out of Postgres
    # deadlock cycles.
    session.flush()
    for name in sorted(session.info.pop(_CHANGED, ())):
        statement = update(Revision).where(Revision.name == name)
        session.connection().execute(statement.values(value=Revision.value + 1))


def track() -> None:
    """Hook every Session (idempotent)."""
    hooks = (
        ("after_flush", _note_flush),
        ("do_orm_execute", _note_statement),
        ("before_commit", _bump),
    )
    # Nothing clears the marks on rollback: one would also fire for a rolled-back savepoint
    # and drop the marks of the changes before it. A spare bump only costs a rebuild.
    for name, fn in hooks:
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
