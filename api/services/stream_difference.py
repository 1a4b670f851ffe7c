"""Which streams of an edited catalog need a re-sync, in the catalog's own shape."""

from __future__ import annotations

from typing import Any

from connectors.catalog import load

# A change to any of these means the data already written no longer matches the stream.
STREAM_FIELDS = ("sync_mode", "cursor_field", "destination_database", "destination_table")
SELECTION_FIELDS = ("selected_columns", "filter_config", "normalization", "partition_regex")


def _streams(catalog: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for item in catalog.get("streams") or []:
        stream = item.get("stream", item)
        found[(stream.get("namespace") or "", stream.get("name") or "")] = item
    return found


def _selected(catalog: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (namespace or "", selection.get("stream_name") or ""): selection
        for namespace, selections in (catalog.get("selected_streams") or {}).items()
        for selection in selections or []
    }


def _changed(old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return any(old.get(name) != new.get(name) for name in fields)


def stream_difference(current: Any, updated: Any) -> dict[str, Any]:
    """Selected streams of `updated` that are new, or whose sync-relevant settings changed."""
    before, after = load(current), load(updated)
    old_streams, new_streams = _streams(before), _streams(after)
    old_selected = _selected(before)
    selected: dict[str, list[dict[str, Any]]] = {}
    streams: list[dict[str, Any]] = []
    for key, selection in _selected(after).items():
        new_item = new_streams.get(key)
        if new_item is None:
            continue
        old_item, old_selection = old_streams.get(key), old_selected.get(key)
        differs = (
            old_selection is None
            or old_item is None
            or _changed(
                old_item.get("stream", old_item), new_item.get("stream", new_item), STREAM_FIELDS
            )
            or _changed(old_selection, selection, SELECTION_FIELDS)
        )
        if differs:
            selected.setdefault(key[0], []).append(selection)
            streams.append(new_item)
    return {"selected_streams": selected, "streams": streams}
