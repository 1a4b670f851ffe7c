"""state.json helpers: one stream's state read and replaced inside OLake's document."""

from __future__ import annotations

from connectors.base import ConfiguredStream, SyncMode
from connectors.state import stream_state, with_stream_state

USERS = ConfiguredStream("users", "public", SyncMode.INCREMENTAL)
ORDERS = ConfiguredStream("orders", "public", SyncMode.INCREMENTAL)


def test_missing_document_or_stream_has_no_state() -> None:
    assert stream_state(None, USERS) is None
    assert stream_state({"streams": []}, USERS) is None


def test_with_stream_state_replaces_only_that_stream() -> None:
    doc = with_stream_state(None, USERS, {"id": 1})
    doc = with_stream_state(doc, ORDERS, {"id": 5})
    doc2 = with_stream_state(doc, USERS, {"id": 2})
    assert stream_state(doc2, USERS) == {"id": 2}
    assert stream_state(doc2, ORDERS) == {"id": 5}
    assert stream_state(doc, USERS) == {"id": 1}  # the original is untouched
    assert doc2["type"] == "STREAM"
    assert doc2["streams"][-1] == {
        "stream": "users",
        "namespace": "public",
        "sync_mode": "incremental",
        "state": {"id": 2},
    }


def test_none_removes_the_stream() -> None:
    doc = with_stream_state(with_stream_state(None, USERS, {"id": 1}), USERS, None)
    assert stream_state(doc, USERS) is None
