"""The flow's pure parts: when to discover, what to retry, the summary and the log pages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from api.services.runs import page_logs
from connectors.errors import ConfigError, TransientError
from flows.steps import needs_discover
from flows.tasks import StreamStats, describe_state, human_bytes, is_transient, summary


def catalog(described: list[str], selected: list[str]) -> dict[str, Any]:
    return {
        "streams": [{"stream": {"name": n, "namespace": "public"}} for n in described],
        "selected_streams": {"public": [{"stream_name": n} for n in selected]},
    }


class TestNeedsDiscover:
    def test_missing_catalog(self) -> None:
        assert needs_discover({}) is True

    def test_stale_selection(self) -> None:
        assert needs_discover(catalog(["a"], ["a", "gone"])) is True

    def test_current_catalog(self) -> None:
        assert needs_discover(catalog(["a", "b"], ["a"])) is False


class TestIsTransient:
    def test_transient_is_retried(self) -> None:
        state = SimpleNamespace(data=TransientError("connection lost"))
        assert is_transient(None, None, state) is True

    def test_config_error_fails_at_once(self) -> None:
        assert is_transient(None, None, SimpleNamespace(data=ConfigError("bad password"))) is False

    def test_other_errors_fail_at_once(self) -> None:
        assert is_transient(None, None, SimpleNamespace(data=ValueError("bug"))) is False


class TestSummary:
    def test_one_line_with_failures(self) -> None:
        rows = [
            StreamStats(0, "public.a", "incremental", "Completed", 1200, 2048, 1.5),
            StreamStats(0, "public.b", "full_refresh", "Failed", error="boom"),
        ]
        assert summary(rows) == (
            "synced 1/2 streams: 1,200 rows, 2.0 KB, slowest stream 1.5 s; failed: public.b"
        )

    def test_state_and_sizes(self) -> None:
        assert describe_state({"cursor_field": "id", "cursor": 60}) == "id <= 60"
        assert describe_state(None) == ""
        assert (human_bytes(10), human_bytes(3 * 1024**2)) == ("10 B", "3.0 MB")


class TestPageLogs:
    lines = [{"message": str(i)} for i in range(5)]

    def messages(self, page: dict[str, Any]) -> list[str]:
        return [line["message"] for line in page["logs"]]

    def test_newest_page_by_default(self) -> None:
        page = page_logs(self.lines, None, 2, "older")
        assert self.messages(page) == ["3", "4"]
        assert (page["older_cursor"], page["newer_cursor"]) == ("3", "5")
        assert (page["has_more_older"], page["has_more_newer"]) == (True, False)

    def test_older_then_newer(self) -> None:
        older = page_logs(self.lines, 3, 2, "older")
        assert self.messages(older) == ["1", "2"]
        newer = page_logs(self.lines, int(older["newer_cursor"]), 2, "newer")
        assert self.messages(newer) == ["3", "4"]

    def test_out_of_range_cursor_is_clamped(self) -> None:
        assert self.messages(page_logs(self.lines, 99, 2, "newer")) == []
        assert page_logs([], None, 10, "older")["has_more_older"] is False
