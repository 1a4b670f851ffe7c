"""Headless Chromium loads a SPA served with --ui-dir, on a client-side route, with API data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_ui import make_spa
from tests.services import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def served_ui(tmp_path: Path) -> Iterator[str]:
    """The real API under uvicorn, serving the fixture SPA from its own origin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLAKE_")}
    env.update(OLAKE_DATA_DIR=str(tmp_path / "data"), OLAKE_UI_DIR=str(make_spa(tmp_path / "ui")))
    subprocess.run([sys.executable, "-m", "deployments.cli", "migrate"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.main:make_app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(10)


class TestSpaInChromium:
    def test_client_side_route_renders_api_data(self, served_ui: str) -> None:
        if not CHROMIUM.exists():
            pytest.fail("Debian's chromium is missing: apt-get install -y chromium", pytrace=False)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page()
                response = page.goto(f"{served_ui}/jobs/12/history")
                assert response is not None and response.status == 200
                page.wait_for_function(
                    "document.getElementById('root').textContent.includes('healthy')", timeout=15000
                )
                assert page.text_content("#root") == "/jobs/12/history healthy"
            finally:
                browser.close()
