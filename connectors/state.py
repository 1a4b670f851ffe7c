"""OLake's `state.json` form: read and update one stream's state inside the document."""

from __future__ import annotations

import copy
from typing import Any

from connectors.base import ConfiguredStream


def empty_state() -> dict[str, Any]:
    return {"type": "STREAM", "version": 1, "streams": []}


def stream_state(
    document: dict[str, Any] | None, stream: ConfiguredStream
) -> dict[str, Any] | None:
    """The state a stream resumes from, or None when it has none."""
    for entry in (document or {}).get("streams") or []:
        if (
            entry.get("stream") == stream.name
            and (entry.get("namespace") or "") == stream.namespace
        ):
            state = entry.get("state")
            return dict(state) if state else None
    return None


def with_stream_state(
    document: dict[str, Any] | None, stream: ConfiguredStream, state: dict[str, Any] | None
) -> dict[str, Any]:
    """A copy of the document with this stream's state replaced (None removes it)."""
    doc = copy.deepcopy(document) if document else empty_state()
    doc.setdefault("type", "STREAM")
    entries = [
        e
        for e in doc.get("streams") or []
        if not (e.get("stream") == stream.name and (e.get("namespace") or "") == stream.namespace)
    ]
    if state is not None:
        entries.append(
            {
                "stream": stream.name,
                "namespace": stream.namespace,
                "sync_mode": str(stream.sync_mode),
                "state": state,
            }
        )
    doc["streams"] = entries
    return doc
