"""Tokens: bad signatures, the `none` algorithm, expiry and revoked sessions are all 401."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from jose import jwt

from tests.conftest import login, signup


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(client: TestClient) -> dict[str, object]:
    token = login(client, signup(client))
    return dict(jwt.get_unverified_claims(token))


class TestTokens:
    def test_bad_signature(self, client: TestClient, anon: TestClient) -> None:
        forged = jwt.encode(_claims(client), "not-the-key", algorithm="HS256")
        assert anon.get("/auth", headers={"Authorization": f"Bearer {forged}"}).status_code == 401

    def test_alg_none(self, client: TestClient, anon: TestClient) -> None:
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(client))}."
        assert anon.get("/auth", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    def test_expired(self, client: TestClient, anon: TestClient) -> None:
        claims = _claims(client)
        claims["exp"] = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
        token = jwt.encode(claims, client.app.state.secret_key, algorithm="HS256")  # type: ignore[attr-defined]
        response = anon.get("/auth", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and "expired" in response.json()["message"]

    def test_other_algorithm_with_the_key(self, client: TestClient, anon: TestClient) -> None:
        token = jwt.encode(_claims(client), client.app.state.secret_key, algorithm="HS512")  # type: ignore[attr-defined]
        assert anon.get("/auth", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    def test_expired_session_row(self, client: TestClient, anon: TestClient) -> None:
        from metadata.models import Session

        claims = _claims(client)
        with client.app.state.session_factory.begin() as db:  # type: ignore[attr-defined]
            row = db.get(Session, claims["sid"])
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        token = jwt.encode(claims, client.app.state.secret_key, algorithm="HS256")  # type: ignore[attr-defined]
        assert anon.get("/auth", headers={"Authorization": f"Bearer {token}"}).status_code == 401
