"""the auth revision counter: users, sessions, projects and memberships

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_revisions = sa.table("revisions", sa.column("name", sa.String), sa.column("value", sa.Integer))


def upgrade() -> None:
    op.bulk_insert(_revisions, [{"name": "auth", "value": 0}])


def downgrade() -> None:
    op.execute(_revisions.delete().where(_revisions.c.name == "auth"))
