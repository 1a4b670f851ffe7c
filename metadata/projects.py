"""Projects and memberships: the default project, aliases, and who may act where."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from metadata.errors import Forbidden, NotFound
from metadata.models import Membership, Project, User

ROLES = ("read", "edit", "admin")


def ensure_project(db: DBSession, *, project_id: str, name: str | None = None) -> Project:
    project = db.get(Project, project_id)
    if project is None:
        project = Project(id=project_id, name=name or project_id)
        db.add(project)
        db.flush()
    return project


def add_member(db: DBSession, *, project_id: str, user: User, role: str = "admin") -> Membership:
    membership = db.get(Membership, (project_id, user.id))
    if membership is None:
        membership = Membership(project_id=project_id, user_id=user.id, role=role)
        db.add(membership)
        db.flush()
    else:
        membership.role = role
    return membership


def resolve_project(
    db: DBSession,
    *,
    project_id: str,
    user: User,
    default_id: str,
    aliases: set[str],
    need: str = "read",
) -> Project:
    """The project of a request: 404 when unknown, 403 when not a member or the role is too low."""
    if project_id in aliases:
        project_id = default_id
    project = db.get(Project, project_id)
    if project is None:
        raise NotFound(f"project '{project_id}' not found")
    membership = db.scalar(
        select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id)
    )
    if membership is None:
        raise Forbidden("Insufficient permissions: not a member of this project")
    if ROLES.index(membership.role) < ROLES.index(need):
        raise Forbidden(f"Insufficient permissions: role '{membership.role}' cannot change this")
    return project
