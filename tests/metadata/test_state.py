"""Stream state and the run index on SQLite: commit, read, clear; final states stick."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from metadata import runs, state
from metadata.db import make_engine, make_session_factory, migrate
from metadata.models import Destination, Job, JobRun, JobStep, Project, Source


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    engine = make_engine(url)
    session = make_session_factory(engine)()
    session.add(Project(id="olake", name="olake"))
    session.flush()  # no ORM relationship orders the project before its rows
    src = Source(project_id="olake", name="s", type="postgres", version="v0.1.0")
    dst = Destination(project_id="olake", name="d", type="parquet", version="v0.1.0")
    session.add(Job(project_id="olake", name="j", steps=[JobStep(source=src, destination=dst)]))
    session.flush()
    yield session
    session.close()
    engine.dispose()


def step_id(db: Session) -> int:
    return db.query(JobStep).one().id


class TestState:
    def test_commit_read_replace_clear(self, db: Session) -> None:
        sid = step_id(db)
        state.commit_state(db, step_id=sid, stream="public.a", state={"cursor": 1})
        state.commit_state(db, step_id=sid, stream="public.a", state={"cursor": 2})
        state.commit_state(db, step_id=sid, stream="public.b", state={"cursor": 9})
        assert state.read_state(db, step_id=sid, stream="public.a") == {"cursor": 2}
        assert set(state.read_states(db, step_id=sid)) == {"public.a", "public.b"}
        assert state.clear_states(db, step_id=sid, streams=["public.b"]) == 1
        state.commit_state(db, step_id=sid, stream="public.a", state=None)
        assert state.read_states(db, step_id=sid) == {}


class TestRunIndex:
    def test_final_state_is_not_overwritten(self, db: Session) -> None:
        job_id = db.query(Job).one().id
        runs.record_run(db, flow_run_id="r1", job_id=job_id, state=runs.PENDING)
        runs.record_run(db, flow_run_id="r1", job_id=job_id, state=runs.CANCELED)
        runs.record_run(db, flow_run_id="r1", job_id=job_id, state=runs.RUNNING)
        assert db.get(JobRun, "r1").state == runs.CANCELED  # type: ignore[union-attr]
