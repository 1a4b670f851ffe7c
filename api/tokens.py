"""JWTs shared by every dialect: HS256 only, bound to a revocable session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jose import JWTError, jwt

from metadata.errors import Unauthorized

ALGORITHM = "HS256"


def issue_token(*, secret: str, username: str, session_id: str, expires_at: datetime) -> str:
    claims: dict[str, Any] = {
        "sub": username,
        "sid": session_id,
        "exp": int(expires_at.timestamp()),
        "iat": int(datetime.now(expires_at.tzinfo).timestamp()),
    }
    return str(jwt.encode(claims, secret, algorithm=ALGORITHM))


def read_token(token: str, *, secret: str) -> dict[str, Any]:
    """The claims of a valid token; a bad signature, another algorithm or expiry is a 401."""
    try:
        # algorithms is a whitelist: "none" and RS/ES tokens are refused here.
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM])
    except JWTError as exc:
        raise Unauthorized("Authentication required: invalid or expired token") from exc
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("sid"), str):
        raise Unauthorized("Authentication required: invalid token")
    return dict(claims)
