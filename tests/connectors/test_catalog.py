"""The catalog: streams.json from discover, re-discover keeping choices, selected streams."""

from __future__ import annotations

import json

import pyarrow as pa

from connectors.base import DiscoveredStream, SyncMode
from connectors.catalog import arrow_schema, build_catalog, configured_streams, type_schema

SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        ("name", pa.string()),
        ("price", pa.decimal128(10, 2)),
        ("at", pa.timestamp("us", tz="UTC")),
        ("tags", pa.list_(pa.string())),
    ]
)


def users(schema: pa.Schema = SCHEMA) -> DiscoveredStream:
    return DiscoveredStream(
        "users", "public", schema, primary_key=["id"], cursor_fields=["id", "at"]
    )


def orders() -> DiscoveredStream:
    return DiscoveredStream("orders", "public", pa.schema([("id", pa.int64())]))


def test_type_schema_uses_olake_type_names() -> None:
    assert type_schema(SCHEMA)["properties"] == {
        "id": {"type": ["integer"]},
        "name": {"type": ["string", "null"]},
        "price": {"type": ["number", "null"]},
        "at": {"type": ["timestamp_micro", "null"]},
        "tags": {"type": ["array", "null"]},
    }


def test_fresh_discover_selects_every_stream() -> None:
    catalog = build_catalog([users(), orders()])
    assert [s["stream_name"] for s in catalog["selected_streams"]["public"]] == ["users", "orders"]
    entry = catalog["streams"][0]["stream"]
    assert entry["source_defined_primary_key"] == ["id"]
    assert entry["available_cursor_fields"] == ["id", "at"]
    assert entry["sync_mode"] == "full_refresh"
    assert entry["destination_table"] == "users"


def test_rediscover_keeps_choices_and_does_not_select_new_streams() -> None:
    first = build_catalog([users()])
    stream = first["streams"][0]["stream"]
    stream.update(sync_mode="incremental", cursor_field="at", destination_table="people")
    first["selected_streams"]["public"][0]["selected_columns"]["columns"] = ["id", "name"]
    first["selected_streams"]["public"][0]["selected_columns"]["sync_new_columns"] = False
    again = build_catalog([users(), orders()], json.dumps(first))
    (selected,) = configured_streams(again)
    assert selected.name == "users"
    assert selected.sync_mode == SyncMode.INCREMENTAL
    assert selected.cursor_field == "at"
    assert selected.destination_table == "people"
    assert selected.columns == ["id", "name"]
    assert [s["stream"]["name"] for s in again["streams"]] == ["users", "orders"]


def test_rediscover_adds_new_columns_when_asked_and_drops_gone_ones() -> None:
    first = build_catalog([users(pa.schema([("id", pa.int64()), ("old", pa.string())]))])
    first["selected_streams"]["public"][0]["selected_columns"]["columns"] = ["id", "old"]
    again = build_catalog([users(pa.schema([("id", pa.int64()), ("new", pa.string())]))], first)
    columns = again["selected_streams"]["public"][0]["selected_columns"]["columns"]
    assert columns == ["id", "new"]


def test_rediscover_drops_a_cursor_that_no_longer_exists() -> None:
    first = build_catalog([users()])
    first["streams"][0]["stream"]["cursor_field"] = "gone"
    again = build_catalog([users()], first)
    assert again["streams"][0]["stream"]["cursor_field"] == ""


def test_configured_streams_reads_selection_and_cursor_fallback() -> None:
    catalog = build_catalog([users(), orders()])
    catalog["selected_streams"]["public"] = catalog["selected_streams"]["public"][:1]
    catalog["streams"][0]["stream"]["cursor_field"] = "at:id"  # OLake's "cursor:fallback" form
    (stream,) = configured_streams(json.dumps(catalog))
    assert stream.key == "public.users"
    assert stream.cursor_field == "at"
    assert stream.primary_key == ["id"]
    assert stream.columns is None  # every column, new ones included


def test_a_catalog_without_selection_selects_everything() -> None:
    catalog = build_catalog([users(), orders()])
    del catalog["selected_streams"]
    assert [s.name for s in configured_streams(catalog)] == ["users", "orders"]


def test_arrow_schema_round_trips_simple_types() -> None:
    schema = arrow_schema(type_schema(pa.schema([("id", pa.int64()), ("ok", pa.bool_())])))
    assert schema.types == [pa.int64(), pa.bool_()]
