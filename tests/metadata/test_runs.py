"""The job-runs index (metadata.runs): recording a page of runs costs one query, not one a run."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from metadata.db import session_scope
from metadata.runs import preload, record_run
from tests.api.olake.factories import make_job


def test_preloaded_runs_are_recorded_without_a_query_each(
    client: Any, user: str, app: FastAPI
) -> None:
    job = make_job(client)
    ids = [f"run-{n}" for n in range(20)]
    with session_scope(app.state.session_factory) as db:
        for run_id in ids:
            record_run(db, flow_run_id=run_id, job_id=job["id"], state="Running")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = app.state.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_scope(app.state.session_factory) as db:
            held = preload(db, ids)
            for run_id in ids:
                record_run(db, flow_run_id=run_id, job_id=job["id"], state="Completed")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(held) == len(ids)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects  # the preload; every record_run found its run loaded
    with session_scope(app.state.session_factory) as db:
        assert {
            record_run(db, flow_run_id=i, job_id=job["id"], state="Running").state for i in ids
        } == {
            "Completed"  # a final state is never overwritten by an earlier one
        }
