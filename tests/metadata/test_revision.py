"""Revision counters: which changes bump which counter (metadata.revision)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from metadata import revision
from metadata.db import session_scope
from metadata.models import Job, JobState, Membership


@pytest.fixture
def factory(app: FastAPI) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = app.state.session_factory
    return sessions


def counters(factory: sessionmaker[Session]) -> revision.Revisions:
    with session_scope(factory) as db:
        found = revision.read(db)
    assert found is not None
    return found


class TestBulkStatements:
    def test_each_bumps_only_its_entitys_counter(self, factory: sessionmaker[Session]) -> None:
        before = counters(factory)
        with session_scope(factory) as db:
            db.execute(update(Job).where(Job.id == -1).values(frequency="* * * * *"))
        after_jobs = counters(factory)
        assert after_jobs == before._replace(jobs=before.jobs + 1)
        with session_scope(factory) as db:
            db.execute(update(Membership).where(Membership.user_id == -1).values(role="read"))
        assert counters(factory) == after_jobs._replace(auth=after_jobs.auth + 1)

    def test_an_untracked_entity_bumps_nothing(self, factory: sessionmaker[Session]) -> None:
        before = counters(factory)
        with session_scope(factory) as db:
            db.execute(delete(JobState).where(JobState.step_id == -1))
        assert counters(factory) == before


class TestRead:
    def test_read_once_per_session_until_it_writes(self, factory: sessionmaker[Session]) -> None:
        with session_scope(factory) as db:
            first = revision.read(db)
            assert revision.known(db) == first
            with session_scope(factory) as other:
                other.execute(update(Job).where(Job.id == -1).values(frequency="* * * * *"))
            assert revision.read(db) == first  # remembered: no query
            db.execute(delete(JobState).where(JobState.step_id == -1))
            assert revision.known(db) is None  # this session wrote: read again


class TestAssume:
    def test_counters_read_elsewhere_stand_for_a_new_sessions_own(
        self, factory: sessionmaker[Session]
    ) -> None:
        read_elsewhere = counters(factory)
        with session_scope(factory) as db:
            revision.assume(db, read_elsewhere)
            assert revision.known(db) == read_elsewhere
            assert revision.read(db) == read_elsewhere  # no second read in the session

    def test_refused_once_the_session_has_read(self, factory: sessionmaker[Session]) -> None:
        read_elsewhere = counters(factory)
        with session_scope(factory) as db:
            revision.read(db)
            with pytest.raises(ValueError, match="not read anything yet"):
                revision.assume(db, read_elsewhere)
