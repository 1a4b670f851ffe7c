"""Schemathesis against our own OpenAPI document: no 5xx, and every 4xx in the dialect's shape.

The app runs in-process with its own SQLite metadata, against the session's real Prefect
server, with job deployments in a work pool that no worker polls: fuzzed jobs never run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from api.errors import dialect_of
from deployments.pools import ensure_work_pool
from metadata.db import migrate
from metadata.settings import Settings
from tests.stack import Stack

EXAMPLES = 10  # per operation: bounded so that make test stays short
TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzz_schema(prefect_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    config = Settings(
        env="test",
        data_dir=tmp_path_factory.mktemp("fuzz"),
        prefect_enabled=True,
        work_pool="fuzz-no-worker",
        rate_limit_per_minute=1_000_000,
        login_failures_per_user=1_000_000,
        login_failures_per_ip=1_000_000,
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
        connector_timeout=2,
    )
    migrate(config.sqlalchemy_url)
    with temporary_settings(updates={PREFECT_API_URL: prefect_stack.prefect_api_url}):
        asyncio.run(ensure_work_pool(config.work_pool))
        app = create_app(config)
        with TestClient(app) as client:
            client.post("/signup", json={"username": "fuzzer", "password": "fuzz-pass"})
            login = client.post("/login", json={"username": "fuzzer", "password": "fuzz-pass"})
            TOKEN["value"] = login.json()["data"]["token"]
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


CALLS: list[int] = []


def check(case: schemathesis.Case) -> None:
    CALLS.append(1)
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN['value']}"}
    response = case.call()
    path = case.formatted_path
    if path == "/health/detailed":
        # Its 503 is the report of a dependency, not an error: no worker polls this app's pool.
        assert response.status_code in (200, 503)
        return
    assert response.status_code < 500, f"{case.method} {path}: {response.text}"
    if 400 <= response.status_code < 500:
        body = response.json()
        if dialect_of(path) == "orc":
            assert isinstance(body.get("error"), str), (case.method, path, body)
        else:
            ok = body.get("success") is False and isinstance(body.get("message"), str)
            assert ok, (case.method, path, body)


def test_no_server_errors(fuzz_schema: Any) -> None:
    """Every operation, EXAMPLES generated requests each; all failures reported together."""
    failures = []
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            check(case)

        try:
            run()
        except AssertionError as exc:
            failures.append(f"{operation.label}: {str(exc)[:500]}")
    assert not failures, "\n".join(failures)
    assert len(CALLS) >= 2 * len(operations)  # examples were generated, not all rejected


def test_schema_lists_every_dialect(fuzz_schema: object) -> None:
    paths = set(fuzz_schema.raw_schema["paths"])  # type: ignore[attr-defined]
    for expected in (
        "/login",
        "/auth/check",
        "/api/v1/project/{project_id}/jobs",
        "/jobs",
        "/runs",
    ):
        assert expected in paths
