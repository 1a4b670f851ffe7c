"""App start-up: two API processes starting at once on a fresh store (`--workers 2`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from api.app import create_app
from metadata.db import migrate
from metadata.models import Project, utcnow
from metadata.settings import Settings


def test_start_up_survives_another_process_creating_the_project(tmp_path: Path) -> None:
    settings = Settings(env="test", data_dir=tmp_path)
    migrate(settings.sqlalchemy_url)
    app = create_app(settings)
    engine = app.state.engine

    raced: list[bool] = []

    def other_process_first(session: Session, *_: Any) -> None:
        # Between this start-up's "is it there?" and its INSERT, another one inserts it.
        if not raced and any(isinstance(row, Project) for row in session.new):
            raced.append(True)
            with engine.connect() as other:
                now = utcnow()
                row = {"id": "olake", "name": "olake", "created_at": now, "updated_at": now}
                other.execute(insert(Project).values(**row))
                other.commit()

    event.listen(Session, "before_flush", other_process_first)
    try:
        with TestClient(app) as client:
            assert client.get("/health").status_code == 200
    finally:
        event.remove(Session, "before_flush", other_process_first)
    assert raced
    with engine.connect() as conn:
        assert conn.execute(select(Project.id)).scalars().all() == ["olake"]
    engine.dispose()
