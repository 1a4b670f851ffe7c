"""The catalog in OLake's `streams.json` form: build it from discover, read the selected streams."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from connectors.base import ConfiguredStream, DiscoveredStream, SyncMode


def json_type(arrow_type: pa.DataType) -> str:
    """OLake's name for an Arrow type in a `type_schema`."""
    t = arrow_type
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_timestamp(t):
        unit = getattr(t, "unit", "s")
        return {"ms": "timestamp_milli", "us": "timestamp_micro", "ns": "timestamp_nano"}.get(
            unit, "timestamp"
        )
    if pa.types.is_date(t):
        return "timestamp"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return "array"
    if pa.types.is_struct(t) or pa.types.is_map(t):
        return "object"
    if pa.types.is_null(t):
        return "null"
    return "string"


def type_schema(schema: pa.Schema) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for f in schema:
        name = json_type(f.type)
        types = [name] if name == "null" or not f.nullable else [name, "null"]
        properties[f.name] = {"type": types}
    return {"properties": properties}


def _stream_entry(d: DiscoveredStream) -> dict[str, Any]:
    return {
        "name": d.name,
        "namespace": d.namespace,
        "type_schema": type_schema(d.schema),
        "supported_sync_modes": [str(m) for m in d.sync_modes],
        "source_defined_primary_key": list(d.primary_key),
        "available_cursor_fields": list(d.cursor_fields),
        "cursor_field": "",
        "sync_mode": str(SyncMode.FULL_REFRESH),  # the safe default; the user opts into more
        "destination_database": d.namespace,
        "destination_table": d.name,
    }


def _selection(name: str, columns: list[str]) -> dict[str, Any]:
    return {
        "stream_name": name,
        "partition_regex": "",
        "normalization": False,
        "append_mode": False,
        "selected_columns": {"columns": columns, "sync_new_columns": True},
    }


def load(catalog: dict[str, Any] | str | None) -> dict[str, Any]:
    """A catalog as a dict, whether it came as a dict, a JSON string (the UI's form) or nothing."""
    if catalog is None or catalog == "":
        return {"selected_streams": {}, "streams": []}
    if isinstance(catalog, str | bytes):
        loaded = json.loads(catalog)
        if not isinstance(loaded, dict):
            raise ValueError("a catalog must be a JSON object")
        return loaded
    return catalog


def _streams_by_key(catalog: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for item in catalog.get("streams") or []:
        s = item.get("stream", item)
        found[(s.get("namespace") or "", s["name"])] = s
    return found


def _selected_by_key(catalog: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (namespace or "", sel["stream_name"]): sel
        for namespace, selections in (catalog.get("selected_streams") or {}).items()
        for sel in selections or []
    }


def build_catalog(
    discovered: list[DiscoveredStream], previous: dict[str, Any] | str | None = None
) -> dict[str, Any]:
    """streams.json for what discover found; a re-discover keeps earlier choices.

    Without `previous` every stream is selected. With it, streams that still exist keep their
    sync mode, cursor, destination names and selection (columns pruned to those that still
    exist, new ones added when `sync_new_columns`); new streams are listed but not selected.
    """
    prev = load(previous) if previous is not None else None
    prev_streams = _streams_by_key(prev) if prev else {}
    prev_selected = _selected_by_key(prev) if prev else {}
    streams: list[dict[str, Any]] = []
    selected: dict[str, list[dict[str, Any]]] = {}
    for d in discovered:
        entry = _stream_entry(d)
        key = (d.namespace or "", d.name)
        columns = list(d.schema.names)
        old = prev_streams.get(key)
        if old is not None:
            if old.get("sync_mode") in entry["supported_sync_modes"]:
                entry["sync_mode"] = old["sync_mode"]
            cursor = (old.get("cursor_field") or "").split(":")[0]
            if cursor and cursor in d.cursor_fields:
                entry["cursor_field"] = old["cursor_field"]
            for name in ("destination_database", "destination_table"):
                if old.get(name):
                    entry[name] = old[name]
        streams.append({"stream": entry})
        if prev is None:
            selected.setdefault(d.namespace, []).append(_selection(d.name, columns))
        elif key in prev_selected:
            sel = dict(prev_selected[key])
            chosen = sel.get("selected_columns") or {"columns": [], "sync_new_columns": True}
            kept = [c for c in chosen.get("columns") or columns if c in columns]
            if chosen.get("sync_new_columns", True):
                known = set(old["type_schema"]["properties"]) if old else set()
                kept += [c for c in columns if c not in kept and c not in known]
            sel["selected_columns"] = {**chosen, "columns": kept}
            selected.setdefault(d.namespace, []).append(sel)
    return {"selected_streams": selected, "streams": streams}


def configured_streams(catalog: dict[str, Any] | str) -> list[ConfiguredStream]:
    """The selected streams of a catalog, ready to sync (a catalog without a selection: all)."""
    cat = load(catalog)
    streams = _streams_by_key(cat)
    selected = _selected_by_key(cat) if "selected_streams" in cat else dict.fromkeys(streams, {})
    result = []
    for key, sel in selected.items():
        s = streams.get(key)
        if s is None:
            continue  # selected but no longer discovered: nothing to read
        all_columns = list((s.get("type_schema") or {}).get("properties", {}))
        chosen = sel.get("selected_columns") or {}
        columns = list(chosen.get("columns") or []) or None
        if columns and chosen.get("sync_new_columns", True) and set(columns) >= set(all_columns):
            columns = None  # every column, including ones that appear later
        result.append(
            ConfiguredStream(
                name=s["name"],
                namespace=s.get("namespace") or "",
                sync_mode=SyncMode(s.get("sync_mode") or SyncMode.FULL_REFRESH),
                cursor_field=(s.get("cursor_field") or "").split(":")[0] or None,
                primary_key=list(s.get("source_defined_primary_key") or []),
                columns=columns,
                destination_table=s.get("destination_table") or None,
                json_schema=s.get("type_schema") or {},
            )
        )
    return result


_ARROW_TYPES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "timestamp_milli": pa.timestamp("ms", tz="UTC"),
    "timestamp_micro": pa.timestamp("us", tz="UTC"),
    "timestamp_nano": pa.timestamp("ns", tz="UTC"),
    "null": pa.null(),
}


def arrow_schema(json_schema: dict[str, Any]) -> pa.Schema:
    """A best-effort Arrow schema back from a `type_schema` (nested types become strings)."""
    fields = []
    for name, prop in (json_schema or {}).get("properties", {}).items():
        types = prop.get("type") or ["string"]
        types = [types] if isinstance(types, str) else types
        main = next((t for t in types if t != "null"), "null")
        fields.append(pa.field(name, _ARROW_TYPES.get(main, pa.string()), nullable="null" in types))
    return pa.schema(fields)
