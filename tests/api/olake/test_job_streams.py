"""POST .../jobs/:id/stream-difference: the streams whose change needs a re-sync."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.testclient import TestClient

from tests.api.olake.factories import BASE, make_job
from tests.api.olake.test_auth import assert_error


def _catalog() -> dict[str, Any]:
    def stream(name: str) -> dict[str, Any]:
        return {
            "stream": {
                "name": name,
                "namespace": "public",
                "type_schema": {"properties": {"id": {"type": ["integer"]}}},
                "supported_sync_modes": ["full_refresh", "incremental"],
                "source_defined_primary_key": ["id"],
                "available_cursor_fields": ["id"],
                "sync_mode": "full_refresh",
                "cursor_field": "",
            }
        }

    def selection(name: str) -> dict[str, Any]:
        return {
            "stream_name": name,
            "partition_regex": "",
            "normalization": False,
            "selected_columns": {"columns": ["id"], "sync_new_columns": True},
        }

    return {
        "selected_streams": {"public": [selection("a"), selection("b")]},
        "streams": [stream("a"), stream("b"), stream("c")],
    }


def _names(response: Any) -> list[str]:
    diff = response.json()["data"]["difference_streams"]
    return sorted(s["stream"]["name"] for s in diff["streams"])


class TestStreamDifference:
    def test_unchanged_is_empty(self, client: TestClient, user: str) -> None:
        job = make_job(client, streams_config=_catalog())
        body = {"updated_streams_config": json.dumps(_catalog())}
        response = client.post(f"{BASE}/jobs/{job['id']}/stream-difference", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["difference_streams"] == {
            "selected_streams": {},
            "streams": [],
        }

    def test_sync_mode_columns_and_new_selection(self, client: TestClient, user: str) -> None:
        job = make_job(client, streams_config=_catalog())
        updated = copy.deepcopy(_catalog())
        updated["streams"][0]["stream"]["sync_mode"] = "incremental"  # a: mode changed
        updated["selected_streams"]["public"][1]["selected_columns"]["columns"] = []  # b: columns
        updated["selected_streams"]["public"].append(
            {"stream_name": "c", "selected_columns": {"columns": ["id"]}}  # c: newly selected
        )
        body = {"updated_streams_config": updated}
        response = client.post(f"{BASE}/jobs/{job['id']}/stream-difference", json=body)
        assert _names(response) == ["a", "b", "c"]
        selected = response.json()["data"]["difference_streams"]["selected_streams"]["public"]
        assert sorted(s["stream_name"] for s in selected) == ["a", "b", "c"]

    def test_destination_table_change(self, client: TestClient, user: str) -> None:
        job = make_job(client, streams_config=_catalog())
        updated = copy.deepcopy(_catalog())
        updated["streams"][1]["stream"]["destination_table"] = "b_v2"
        body = {"updated_streams_config": updated}
        assert _names(client.post(f"{BASE}/jobs/{job['id']}/stream-difference", json=body)) == ["b"]

    def test_unknown_job_is_404(self, client: TestClient, user: str) -> None:
        body = {"updated_streams_config": {}}
        assert_error(client.post(f"{BASE}/jobs/999/stream-difference", json=body), 404)

    def test_missing_body_field_is_400(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        response = client.post(f"{BASE}/jobs/{job['id']}/stream-difference", json={})
        assert_error(response, 400, "updated_streams_config")
