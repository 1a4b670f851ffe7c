"""Projects and memberships: the default project, aliases, and who may act where."""

from __future__ import annotations

from typing import NamedTuple

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


class Access(NamedTuple):
    """A user's standing in a project: the project (None when unknown) and their role there."""

    project: Project | None
    role: str | None


def read_access(db: DBSession, *, project_id: str, user_id: int) -> Access:
    project = db.get(Project, project_id)
    if project is None:
        return Access(None, None)
    membership = db.get(Membership, (project.id, user_id))
    return Access(project, membership.role if membership else None)


def role_allows(role: str, need: str) -> bool:
    return ROLES.index(role) >= ROLES.index(need)


def check_access(access: Access, *, project_id: str, need: str = "read") -> Project:
    """The project: 404 when unknown, 403 when not a member or the role is too low."""
    if access.project is None:
        raise NotFound(f"project '{project_id}' not found")
    if access.role is None:
        raise Forbidden("Insufficient permissions: not a member of this project")
    if not role_allows(access.role, need):
        raise Forbidden(f"Insufficient permissions: role '{access.role}' cannot change this")
    return access.project
