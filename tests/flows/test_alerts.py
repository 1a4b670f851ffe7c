"""Failure alerts reach a Slack-compatible webhook; a broken webhook never raises."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors.logging import register_secret
from flows.alerts import failure_text, send_alert
from tests.services import free_port


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    """A local webhook that answers the statuses queued in `plan` (then 200)."""
    received: list[dict[str, Any]] = []
    plan: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(plan.pop(0) if plan else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, plan
    server.shutdown()


class TestSendAlert:
    def test_delivers_slack_text(self, webhook: tuple[str, list[Any], list[int]]) -> None:
        url, received, _ = webhook
        assert send_alert(url, failure_text("nightly", "source unreachable")) is True
        assert received == [{"text": "nightly failed: source unreachable"}]

    def test_retries_5xx(self, webhook: tuple[str, list[Any], list[int]]) -> None:
        url, received, plan = webhook
        plan += [503, 500]
        assert send_alert(url, "x failed: y") is True
        assert len(received) == 3

    def test_unreachable_never_raises(self) -> None:
        assert send_alert(f"http://127.0.0.1:{free_port()}/", "x", attempts=2, timeout=0.5) is False

    def test_secrets_are_masked(self, webhook: tuple[str, list[Any], list[int]]) -> None:
        url, received, _ = webhook
        register_secret("hunter2-alert-secret")
        send_alert(url, "job failed: password hunter2-alert-secret rejected")
        assert "hunter2-alert-secret" not in json.dumps(received)
