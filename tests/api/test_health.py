"""Health endpoints: liveness, and the detailed probe of database, Prefect and workers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.services import free_port


class TestHealth:
    def test_healthy(self, client: TestClient) -> None:
        response = client.get("/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "healthy" and body["service"] == "prefect-olake"
        assert body["version"]


class TestHealthDetailed:
    def test_prefect_down_is_503_naming_it(self, client: TestClient) -> None:
        app = client.app
        saved = app.state.prefect_api_url  # type: ignore[attr-defined]
        app.state.prefect_api_url = f"http://127.0.0.1:{free_port()}/api"  # type: ignore[attr-defined]
        try:
            response = client.get("/health/detailed")
        finally:
            app.state.prefect_api_url = saved  # type: ignore[attr-defined]
        assert response.status_code == 503
        components = response.json()["components"]
        assert components["database"]["status"] == "up"
        assert components["prefect"]["status"] == "down"
        assert components["workers"]["status"] == "down"
        for component in components.values():
            assert isinstance(component["response_time_ms"], float)
