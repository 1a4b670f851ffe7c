"""Engine and session factory for the metadata store, and the Alembic runner."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The API runs sync routes and dependencies on AnyIO's 40 threads, and a request holds its
# connection across several of them. With fewer connections than threads, 40 requests that
# wait for a connection take every thread from the requests holding one: nothing moves until
# the pool's 30 s timeout (seen under load as 500s and 60 s stalls). So: a connection per thread.
THREADS = 40
CONNECT_TIMEOUT_SECONDS = 5


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if url.startswith("sqlite") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> Engine:
    """SQLite gets WAL and foreign keys; Postgres a small pool that checks connections."""
    _ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=10,
            max_overflow=THREADS,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # A server that accepts TCP and never answers (frozen, half-dead network path) would hold
    # a connect, and the request's thread, forever: fail it as unavailable (503) instead.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=THREADS - 10,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def make_loop_engine(url: str) -> Engine | None:
    """For SQLite, an engine of one connection for reads from an event loop; None otherwise.

    A WAL read does not wait on writers and costs tens of microseconds, less than a hop to a
    thread. It must not come from the shared pool: a loop waiting there for a connection that
    only a request it schedules would give back stops for the pool's 30 s timeout (seen under
    load). One connection, used by the loop's thread only, and a short wait on a lock (a
    checkpoint or recovery), after which the caller falls back to the usual path.
    """
    if not url.startswith("sqlite"):
        return None
    _ensure_sqlite_dir(url)
    return create_engine(
        url, poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 0.2}
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    from metadata import revision  # imports the models; db.py itself must not

    revision.track()
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
    except BaseException:
        end_session(session, commit=False)
        raise
    end_session(session, commit=True)


def end_session(session: Session, *, commit: bool) -> None:
    """Leave a session as session_scope does: commit (or roll back), then close."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Apply every migration to the database at `url` (idempotent)."""
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), "head")
