"""Users and their sessions: sign up, authenticate, open and revoke sessions."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DBSession

from metadata.errors import Conflict, Unauthorized
from metadata.models import Session, User, utcnow

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown user like a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def configure_hashing(*, memory_kib: int, time_cost: int) -> None:
    """Argon2 cost from settings; hashes made with other costs still verify."""
    global _hasher, _DUMMY_HASH
    if (_hasher.memory_cost, _hasher.time_cost) != (memory_kib, time_cost):
        _hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)
        _DUMMY_HASH = _hasher.hash("not-a-real-password")


def create_user(db: DBSession, *, username: str, password: str, email: str | None = None) -> User:
    clash = db.scalar(
        select(User).where(
            or_(User.username == username, User.email == email)
            if email
            else User.username == username
        )
    )
    if clash is not None:
        field = "username" if clash.username == username else "email"
        raise Conflict(f"a user with this {field} already exists")
    user = User(username=username, email=email, password_hash=_hasher.hash(password))
    db.add(user)
    db.flush()
    return user


def read_user(db: DBSession, *, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username))


def authenticate(db: DBSession, *, username: str, password: str) -> User:
    user = read_user(db, username=username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("Invalid credentials") from None
    if user is None:
        raise Unauthorized("Invalid credentials")
    return user


def create_session(db: DBSession, *, user: User, days: int) -> Session:
    session = Session(user_id=user.id, expires_at=utcnow() + timedelta(days=days))
    db.add(session)
    db.flush()
    return session


def read_live_session(db: DBSession, *, session_id: str) -> Session | None:
    session = db.get(Session, session_id)
    if session is None or session.revoked_at is not None or session.expires_at <= utcnow():
        return None
    return session


def revoke_session(db: DBSession, *, session_id: str) -> None:
    session = db.get(Session, session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
