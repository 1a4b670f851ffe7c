"""The api source against a real local HTTP server: retries, pagination, records paths, secrets."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from connectors import runner
from connectors.base import ConfiguredStream, SyncMode
from connectors.errors import ConnectorError
from connectors.spec import secret_paths
from connectors.testing import SourceConformance

ITEMS = [{"id": i, "name": f"item-{i}"} for i in range(1, 8)]


class FakeAPI:
    """What the handler serves; tests change it between requests."""

    def __init__(self) -> None:
        self.items = list(ITEMS)
        self.fail_first: list[int] = []  # statuses to answer before succeeding
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []

    def respond(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if self.fail_first:
            return self.fail_first.pop(0), {"error": "slow down"}
        if path == "/list":
            return 200, self.items
        if path == "/wrapped":
            return 200, {"data": {"items": self.items}}
        if path == "/paged":
            page, size = int(query["page"][0]), int(query.get("per_page", ["3"])[0])
            return 200, {"results": self.items[(page - 1) * size : page * size]}
        if path == "/cursor":
            start = int(query.get("after", ["0"])[0])
            chunk = self.items[start : start + 3]
            following = start + 3 if start + 3 < len(self.items) else None
            return 200, {"items": chunk, "meta": {"next": following}}
        if path == "/drifting":
            page = int(query["page"][0])
            rows = [[{"id": 1, "v": 1, "note": None}], [{"id": 2, "v": 2.0, "note": "x"}], []]
            return 200, rows[page - 1]
        if path == "/ignores-paging":
            return 200, self.items
        if path == "/private":
            return 401, {"error": "no"}
        return 404, {"error": "not found"}


@pytest.fixture
def api() -> Iterator[tuple[str, FakeAPI]]:
    state = FakeAPI()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            url = urlparse(self.path)
            query = parse_qs(url.query)
            state.requests.append((url.path, query, dict(self.headers)))
            status, body = state.respond(url.path, query)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


def read_all(config: dict[str, Any], state: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    stream = ConfiguredStream("records", "", SyncMode.FULL_REFRESH)
    table, _ = runner.read_table("api", None, config, stream, state)
    return table.to_pylist() if table is not None else []


class TestAPIConformance(SourceConformance):
    source_type = "api"

    @pytest.fixture
    def config(self, api: tuple[str, FakeAPI]) -> dict[str, Any]:
        return {"type": "api", "url": f"{api[0]}/list", "headers": {"X-Token": "tok-123"}}

    @pytest.fixture
    def bad_config(self, api: tuple[str, FakeAPI]) -> dict[str, Any]:
        return {"type": "api", "url": f"{api[0]}/private"}

    @pytest.fixture
    def expected_streams(self) -> list[str]:
        return ["records"]

    @pytest.fixture
    def fixture_rows(self) -> dict[str, list[dict[str, Any]]]:
        return {"records": ITEMS}

    @pytest.fixture
    def incremental_stream(self) -> tuple[str, str | None]:
        return ("records", "id")

    @pytest.fixture
    def insert_new_rows(self, api: tuple[str, FakeAPI]) -> Callable[[], list[dict[str, Any]]]:
        def insert() -> list[dict[str, Any]]:
            new = [{"id": 8, "name": "item-8"}]
            api[1].items += new
            return new

        return insert


def test_minimal_orc_config_reads_the_whole_body(api: tuple[str, FakeAPI]) -> None:
    assert read_all({"type": "api", "url": f"{api[0]}/list"}) == ITEMS


def test_records_path_digs_into_the_body(api: tuple[str, FakeAPI]) -> None:
    assert read_all({"url": f"{api[0]}/wrapped", "records_path": "data.items"}) == ITEMS


def test_429_then_success_is_retried(api: tuple[str, FakeAPI]) -> None:
    api[1].fail_first = [429, 503]
    assert read_all({"url": f"{api[0]}/list", "backoff_seconds": 0.01}) == ITEMS
    assert len(api[1].requests) == 3


def test_retries_exhausted_is_transient(api: tuple[str, FakeAPI]) -> None:
    api[1].fail_first = [503] * 5
    with pytest.raises(ConnectorError) as info:
        read_all({"url": f"{api[0]}/list", "backoff_seconds": 0.01, "max_retries": 2})
    assert info.value.kind == "transient"
    assert len(api[1].requests) == 3


def test_page_pagination_stops_on_a_short_page(api: tuple[str, FakeAPI]) -> None:
    config = {
        "url": f"{api[0]}/paged",
        "records_path": "results",
        "pagination": "page",
        "page_size_param": "per_page",
        "page_size": 3,
    }
    assert read_all(config) == ITEMS
    assert [q["page"] for _, q, _ in api[1].requests] == [["1"], ["2"], ["3"]]


def test_cursor_pagination_follows_the_cursor(api: tuple[str, FakeAPI]) -> None:
    config = {
        "url": f"{api[0]}/cursor",
        "records_path": "items",
        "pagination": "cursor",
        "cursor_path": "meta.next",
        "cursor_param": "after",
    }
    assert read_all(config) == ITEMS
    assert [q.get("after") for _, q, _ in api[1].requests] == [None, ["3"], ["6"]]


def test_headers_are_sent_and_secret(api: tuple[str, FakeAPI]) -> None:
    read_all({"url": f"{api[0]}/list", "headers": {"Authorization": "Bearer s3cret"}})
    assert api[1].requests[0][2]["Authorization"] == "Bearer s3cret"
    assert secret_paths("source", "api") == ["headers.*"]


def test_unauthorized_fails_check_with_the_status(api: tuple[str, FakeAPI]) -> None:
    result = runner.check("source", "api", None, {"url": f"{api[0]}/private"})
    assert result.status == "FAILED" and "401" in result.message


def test_unreachable_server_is_transient() -> None:
    config = {"url": "http://127.0.0.1:9/x", "max_retries": 0}
    with pytest.raises(ConnectorError) as info:
        read_all(config)
    assert info.value.kind == "transient"


def test_incremental_sends_the_cursor_in_since_param(api: tuple[str, FakeAPI]) -> None:
    config = {"url": f"{api[0]}/list", "since_param": "updated_after"}
    stream = ConfiguredStream("records", "", SyncMode.INCREMENTAL, cursor_field="id")
    table, state = runner.read_table("api", None, config, stream, {"id": 5})
    assert table is not None and table.column("id").to_pylist() == [6, 7]
    assert state == {"id": 7}
    assert api[1].requests[0][1]["updated_after"] == ["5"]


def test_a_server_ignoring_the_page_parameter_does_not_loop(api: tuple[str, FakeAPI]) -> None:
    config = {"url": f"{api[0]}/ignores-paging", "pagination": "page"}
    assert read_all(config) == ITEMS
    assert len(api[1].requests) == 2


def test_later_pages_take_the_first_page_schema(api: tuple[str, FakeAPI]) -> None:
    config = {"url": f"{api[0]}/drifting", "pagination": "page"}
    assert read_all(config) == [{"id": 1, "v": 1, "note": None}, {"id": 2, "v": 2, "note": "x"}]
