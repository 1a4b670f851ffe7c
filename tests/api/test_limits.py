"""Rate limits (headers, 429), login brute-force limits, and the body size limit (413)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from metadata.db import migrate
from metadata.settings import Settings
from tests.conftest import signup, unique


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[TestClient]:
    """An app with small limits, so that tests reach them quickly."""
    settings = Settings(
        env="test",
        data_dir=tmp_path,
        rate_limit_per_minute=8,
        login_failures_per_user=3,
        login_failures_per_ip=5,
        max_body_bytes=2048,
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
    )
    migrate(settings.sqlalchemy_url)
    with TestClient(create_app(settings)) as client:
        yield client


class TestRateLimit:
    def test_headers_on_every_response(self, client: TestClient) -> None:
        response = client.get("/api/v1/project/123/jobs")
        assert response.status_code == 401
        assert int(response.headers["x-ratelimit-limit"]) == 600
        assert 0 <= int(response.headers["x-ratelimit-remaining"]) < 600
        assert int(response.headers["x-ratelimit-reset"]) > 1_700_000_000

    def test_429_past_the_limit_with_envelope(self, tight: TestClient) -> None:
        statuses = [tight.get("/telemetry-id").status_code for _ in range(10)]
        assert statuses[:8] == [200] * 8 and statuses[8:] == [429, 429]
        response = tight.get("/telemetry-id")
        assert response.json()["success"] is False and response.headers["retry-after"]
        assert response.headers["x-ratelimit-remaining"] == "0"

    def test_orc_paths_get_the_orc_error_shape(self, tight: TestClient) -> None:
        for _ in range(8):
            tight.get("/runs")
        assert tight.get("/runs").json() == {
            "error": "Too many requests; slow down and retry later"
        }

    def test_health_is_exempt(self, tight: TestClient) -> None:
        assert {tight.get("/health").status_code for _ in range(12)} == {200}

    def test_sessions_count_apart_from_the_ip(self, tight: TestClient) -> None:
        name = signup(tight)
        token = tight.post("/login", json={"username": name, "password": "s3cret-pass"}).json()
        headers = {"Authorization": f"Bearer {token['data']['token']}"}
        tight.cookies.clear()  # from here on, anonymous calls count against the IP
        for _ in range(8):
            tight.get("/telemetry-id")
        assert tight.get("/auth", headers=headers).status_code == 200


class TestLoginLimit:
    def test_per_user(self, tight: TestClient) -> None:
        name = unique("u")
        tight.post("/signup", json={"username": name, "password": "right"})
        for _ in range(3):
            assert tight.post("/login", json={"username": name, "password": "x"}).status_code == 401
        response = tight.post("/login", json={"username": name, "password": "right"})
        assert response.status_code == 429 and "failed logins" in response.json()["message"]

    def test_per_ip_across_users(self, tight: TestClient) -> None:
        for i in range(5):
            tight.post("/auth/login", json={"username": f"ghost{i}", "password": "x"})
        response = tight.post("/auth/login", json={"username": "someone-else", "password": "x"})
        assert response.status_code == 429 and "error" in response.json()


class TestBodySize:
    def test_declared_length_over_limit_is_413(self, tight: TestClient) -> None:
        response = tight.post("/signup", json={"username": "x", "password": "p" * 5000})
        assert response.status_code == 413 and response.json()["success"] is False

    def test_streamed_body_over_limit_is_413(self, tight: TestClient) -> None:
        def chunks() -> Iterator[bytes]:
            yield b'{"username": "x", "password": "'
            for _ in range(10):
                yield b"p" * 500
            yield b'"}'

        response = tight.post(
            "/signup", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413

    def test_under_limit_passes(self, tight: TestClient) -> None:
        assert (
            tight.post("/signup", json={"username": unique("u"), "password": "p"}).status_code
            == 200
        )
