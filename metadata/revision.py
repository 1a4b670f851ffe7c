"""Revision counters, bumped in the same transaction as any change the list endpoints show.

`jobs` counts changes to jobs, their steps, sources and destinations; `runs` counts changes
to job runs, which a running sync makes every few seconds and which touch only the last-run
fields; `auth` counts changes to users, sessions, projects and memberships (who may call, and
where). A cached answer built after reading the counters stays current while they do. That
holds only if every writer bumps them, so the hooks sit on the ORM Session class itself (every
session of every process: API, worker, flows), not on one factory.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Connection, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from metadata.models import (
    Destination,
    Job,
    JobRun,
    JobStep,
    Membership,
    Project,
    Revision,
    Source,
    User,
)
from metadata.models import Session as UserSession

JOBS, RUNS, AUTH = "jobs", "runs", "auth"
_CHANGED = "olake_revisions_changed"
_READ = "olake_revisions_read"
_TRACKED: dict[str, tuple[type, ...]] = {
    JOBS: (Job, JobStep, Source, Destination),
    RUNS: (JobRun,),
    AUTH: (User, UserSession, Project, Membership),
}


# Every row: the table holds only these counters, and a fixed statement is compiled once
# (an IN list is expanded on every execution; this runs on every API request).
_READ_ALL = select(Revision.name, Revision.value)


class Revisions(NamedTuple):
    jobs: int
    runs: int
    auth: int

    @property
    def data(self) -> tuple[int, int]:
        """What the job, source and destination lists depend on."""
        return self.jobs, self.runs


def read(db: Session) -> Revisions | None:
    """The counters; None when a row is missing (then nothing may be cached).

    Read once per session until it writes: every later read in it may see newer data than the
    counters say, never older, which is all a cache keyed by them needs.
    """
    if _READ in db.info:
        return db.info[_READ]  # type: ignore[no-any-return]
    found = read_on(db)
    db.info[_READ] = found
    return found


def read_on(conn: Session | Connection) -> Revisions | None:
    """The counters as they are now, on any session or connection; nothing remembered."""
    values = {name: value for name, value in conn.execute(_READ_ALL)}
    known = all(name in values for name in _TRACKED)
    return Revisions(values[JOBS], values[RUNS], values[AUTH]) if known else None


def assume(db: Session, revisions: Revisions) -> None:
    """Take counters read on another connection just now as this new session's own `read`:
    whatever it reads later is at least as new, which is all `read` promises."""
    if db.in_transaction():
        raise ValueError("assume() is for a session that has not read anything yet")
    db.info[_READ] = revisions


def known(db: Session) -> Revisions | None:
    """What `read` returned in this session, if it did and nothing was written since; no I/O."""
    found: Revisions | None = db.info.get(_READ)
    return found


def _changed(session: Session) -> set[str]:
    changed: set[str] = session.info.setdefault(_CHANGED, set())
    return changed


def _note_flush(session: Session, _context: Any) -> None:
    session.info.pop(_READ, None)  # this session's own writes: read the counters again
    # after_flush still sees the pre-flush collections and attribute history; an object set
    # to the values it had is dirty but unchanged, and needs no bump.
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]
    touched = (*session.new, *dirty, *session.deleted)
    for name, classes in _TRACKED.items():
        if any(isinstance(obj, classes) for obj in touched):
            _changed(session).add(name)


def _note_statement(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE/INSERT bypass the unit of work: a change to the counter their entity
    # is tracked under, none for an untracked entity, every counter when it is unknown.
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info.pop(_READ, None)
        entity = state.bind_mapper.class_ if state.bind_mapper is not None else None
        names = [n for n, classes in _TRACKED.items() if entity is None or entity in classes]
        _changed(state.session).update(names)


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
