"""The migrations build exactly the models' schema, on SQLite and on Postgres."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from metadata.models import Base
from metadata.settings import Settings


def test_no_drift_between_models_and_migrations(settings: Settings) -> None:
    engine = create_engine(settings.sqlalchemy_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    # Type-only differences (our UTC decorator vs the plain DateTime it stores) are not drift.
    structural = [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type")]
    assert structural == []
