"""Serving a UI build with --ui-dir: files, the index.html fallback, cache headers, API intact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from metadata.db import migrate
from metadata.settings import Settings

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def make_spa(root: Path) -> Path:
    """A tiny SPA: an index, a hashed bundle, and an unhashed file."""
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(
        '<!doctype html><html><body><div id="root"></div>'
        '<script src="/assets/app-3f9a1c2b.js"></script></body></html>'
    )
    (root / "assets" / "app-3f9a1c2b.js").write_text(
        "fetch('/health').then(r => r.json()).then(h => {"
        "document.getElementById('root').textContent = location.pathname + ' ' + h.status })"
    )
    (root / "favicon.txt").write_text("icon")
    return root


@pytest.fixture
def ui_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(env="test", data_dir=tmp_path / "data", ui_dir=make_spa(tmp_path / "ui"))
    migrate(settings.sqlalchemy_url)
    with TestClient(create_app(settings)) as client:
        yield client


class TestStaticFiles:
    def test_hashed_asset_is_immutable(self, ui_client: TestClient) -> None:
        response = ui_client.get("/assets/app-3f9a1c2b.js")
        assert response.status_code == 200 and "fetch('/health')" in response.text
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"

    def test_plain_file_revalidates(self, ui_client: TestClient) -> None:
        response = ui_client.get("/favicon.txt")
        assert response.text == "icon" and response.headers["cache-control"] == "no-cache"

    def test_traversal_is_not_served(self, ui_client: TestClient, tmp_path: Path) -> None:
        key = (tmp_path / "data" / "secret.key").read_text()
        response = ui_client.get("/assets/..%2F..%2Fdata%2Fsecret.key")
        assert response.status_code == 404 and key not in response.text


class TestFallback:
    @pytest.mark.parametrize("path", ["/", "/jobs/12/history", "/sources/new", "/login"])
    def test_client_side_routes_get_index(self, ui_client: TestClient, path: str) -> None:
        response = ui_client.get(path, headers=HTML)
        assert response.status_code == 200
        assert '<div id="root">' in response.text
        assert response.headers["cache-control"] == "no-cache"

    def test_a_browser_gets_the_page_where_the_api_kept_an_answer(
        self, ui_client: TestClient
    ) -> None:
        ui_client.post("/signup", json={"username": "nav", "password": "nav-pass-1"})
        ui_client.post("/login", json={"username": "nav", "password": "nav-pass-1"})
        for _ in range(2):  # the second answer is a kept one (api.read_cache)
            assert ui_client.get("/auth/check").json()["data"]["username"] == "nav"
        response = ui_client.get("/auth/check", headers=HTML)
        assert '<div id="root">' in response.text


class TestApiUntouched:
    def test_api_routes_answer_json(self, ui_client: TestClient) -> None:
        assert ui_client.get("/health", headers=HTML).json()["status"] == "healthy"
        response = ui_client.get("/api/v1/project/123/sources", headers=HTML)
        assert response.status_code == 401 and response.json()["success"] is False

    def test_unknown_api_path_stays_json_404(self, ui_client: TestClient) -> None:
        response = ui_client.get("/api/v1/nothing/here", headers=HTML)
        assert response.status_code == 404
        assert response.json() == {"success": False, "message": "Resource not found"}

    def test_non_html_client_gets_the_api(self, ui_client: TestClient) -> None:
        response = ui_client.get("/no/such/route", headers={"Accept": "application/json"})
        assert response.status_code == 404 and response.json()["success"] is False

    def test_posts_are_never_the_ui(self, ui_client: TestClient) -> None:
        response = ui_client.post("/login", json={"username": "x", "password": "y"}, headers=HTML)
        assert response.status_code == 401

    def test_without_ui_dir_nothing_changes(self, client: TestClient) -> None:
        assert (
            client.get("/jobs/12/history", headers=HTML)
            .headers["content-type"]
            .startswith("application/json")
        )
