"""What OLake's shipped UI calls beyond the contract: settings, releases, telemetry id, modules."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.olake.factories import BASE
from tests.api.olake.test_auth import assert_error


class TestSettings:
    def test_read_defaults_then_update(self, client: TestClient, user: str) -> None:
        first = client.get(f"{BASE}/settings")
        assert first.status_code == 200
        data = first.json()["data"]
        assert data["project_id"] == "olake" and data["webhook_alert_url"] == ""
        url = "https://hooks.example.com/T000/B000"
        updated = client.put(f"{BASE}/settings", json={"webhook_alert_url": url})
        assert updated.status_code == 200
        assert updated.json()["data"] == {
            "id": data["id"],
            "project_id": "olake",
            "webhook_alert_url": url,
        }
        assert client.get(f"{BASE}/settings").json()["data"]["webhook_alert_url"] == url

    def test_accepts_the_ui_body(self, client: TestClient, user: str) -> None:
        current = client.get(f"{BASE}/settings").json()["data"]
        body = dict(current, webhook_alert_url="http://127.0.0.1:9/hook")
        assert client.put(f"{BASE}/settings", json=body).status_code == 200

    def test_not_a_url_is_400(self, client: TestClient, user: str) -> None:
        response = client.put(f"{BASE}/settings", json={"webhook_alert_url": "ftp://x"})
        assert_error(response, 400, "webhook_alert_url")

    def test_unauthenticated_is_401(self, anon: TestClient) -> None:
        assert_error(anon.get(f"{BASE}/settings"), 401)

    def test_unknown_project_is_404(self, client: TestClient, user: str) -> None:
        assert_error(client.get("/api/v1/project/nope/settings"), 404)


class TestReleases:
    def test_our_release_track(self, client: TestClient, user: str) -> None:
        response = client.get("/api/v1/platform/releases", params={"limit": 5})
        assert response.status_code == 200
        track = response.json()["data"]["olake_ui_worker"]
        assert track["current_version"].startswith("v") and track["releases"] == []

    def test_bad_limit_is_400(self, client: TestClient, user: str) -> None:
        assert_error(client.get("/api/v1/platform/releases", params={"limit": "x"}), 400, "limit")


class TestTelemetryId:
    def test_stable_and_never_enables_ui_analytics(self, client: TestClient) -> None:
        first = client.get("/telemetry-id").json()["data"]
        second = client.get("/telemetry-id").json()["data"]
        assert first == second and len(first["telemetry_id"]) == 36
        assert first["user_id"] == ""  # OLake's UI only reports to its analytics with a user_id


class TestOptimizationStatus:
    def test_hidden(self, client: TestClient, user: str) -> None:
        data = client.get("/api/v1/platform/opt/status").json()["data"]
        assert data["enabled"] is False and data["available"] is False
