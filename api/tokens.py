"""JWTs shared by every dialect: HS256 only, bound to a revocable session."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from jose import JWTError, jwt

from metadata.errors import Unauthorized

ALGORITHM = "HS256"
# Verified claims by (secret, token): every API request is checked twice (rate limit, then
# auth), and an HS256 check through python-jose costs more than the cached list it guards.
_VERIFIED: dict[tuple[str, str], dict[str, Any]] = {}
_VERIFIED_MAX = 10_000


def issue_token(*, secret: str, username: str, session_id: str, expires_at: datetime) -> str:
    claims: dict[str, Any] = {
        "sub": username,
        "sid": session_id,
        "exp": int(expires_at.timestamp()),
        "iat": int(datetime.now(expires_at.tzinfo).timestamp()),
    }
    return str(jwt.encode(claims, secret, algorithm=ALGORITHM))


def decode(token: str, secret: str) -> dict[str, Any]:
    """jwt.decode, remembered for valid tokens until they expire; raises JWTError."""
    key = (secret, token)
    claims = _VERIFIED.get(key)
    if claims is not None and (claims.get("exp") is None or time.time() <= claims["exp"]):
        return claims
    # algorithms is a whitelist: "none" and RS/ES tokens are refused here.
    claims = dict(jwt.decode(token, secret, algorithms=[ALGORITHM]))
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = claims
    return claims


def read_token(token: str, *, secret: str) -> dict[str, Any]:
    """The claims of a valid token; a bad signature, another algorithm or expiry is a 401."""
    try:
        claims = decode(token, secret)
    except JWTError as exc:
        raise Unauthorized("Authentication required: invalid or expired token") from exc
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("sid"), str):
        raise Unauthorized("Authentication required: invalid token")
    return dict(claims)
