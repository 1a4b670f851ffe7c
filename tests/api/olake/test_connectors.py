"""OLake spec, connection-test and discover endpoints, wired to the connector registry."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.api.olake.factories import BASE, PG_CONFIG, make_source
from tests.api.olake.test_auth import assert_error
from tests.services import require_port


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A schema in the real Postgres `test` database with two small tables."""
    require_port("PostgreSQL", 5432)
    schema = f"api_disc_{uuid.uuid4().hex[:6]}"
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(
            text(f'CREATE TABLE "{schema}".orders (id bigint primary key, at timestamptz)')
        )
        conn.execute(text(f'CREATE TABLE "{schema}".users (id int primary key, name text)'))
    yield schema
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


class TestSpec:
    @pytest.mark.parametrize("plural,type", [("sources", "postgres"), ("destinations", "parquet")])
    def test_post_and_get_forms(
        self, client: TestClient, user: str, plural: str, type: str
    ) -> None:
        posted = client.post(f"{BASE}/{plural}/spec", json={"type": type, "version": "v0.1.0"})
        got = client.get(f"{BASE}/{plural}/spec", params={"type": type})
        assert posted.status_code == got.status_code == 200
        assert posted.json()["data"] == got.json()["data"]
        spec = posted.json()["data"]["spec"]
        assert spec["jsonschema"]["type"] == "object"
        assert isinstance(json.loads(spec["uischema"]), dict)

    def test_get_with_contract_body(self, client: TestClient, user: str) -> None:
        response = client.request("GET", f"{BASE}/sources/spec", json={"type": "mysql"})
        assert response.status_code == 200 and response.json()["data"]["type"] == "mysql"

    def test_password_is_a_hidden_field(self, client: TestClient, user: str) -> None:
        spec = client.post(f"{BASE}/sources/spec", json={"type": "postgres"}).json()["data"]["spec"]
        assert json.loads(spec["uischema"])["password"] == {"ui:widget": "password"}

    def test_unknown_type_is_400_naming_known(self, client: TestClient, user: str) -> None:
        response = client.post(f"{BASE}/sources/spec", json={"type": "oracle"})
        assert_error(response, 400, "postgres")

    def test_unknown_version_is_400(self, client: TestClient, user: str) -> None:
        response = client.post(f"{BASE}/sources/spec", json={"type": "postgres", "version": "v9"})
        assert_error(response, 400, "v0.1.0")

    def test_missing_type_is_400(self, client: TestClient, user: str) -> None:
        assert_error(client.get(f"{BASE}/sources/spec"), 400, "type")


class TestConnectionTest:
    def test_reachable_postgres_succeeds(self, client: TestClient, user: str) -> None:
        require_port("PostgreSQL", 5432)
        response = client.post(
            f"{BASE}/sources/test", json={"type": "postgres", "config": PG_CONFIG}
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["connection_result"]["status"] == "SUCCEEDED"
        assert data["logs"] and "pg-secret-123" not in response.text

    def test_unknown_database_fails_with_message(self, client: TestClient, user: str) -> None:
        config = dict(PG_CONFIG, database="no_such_db_here")
        response = client.post(f"{BASE}/sources/test", json={"type": "postgres", "config": config})
        result = response.json()["data"]["connection_result"]
        assert result["status"] == "FAILED" and "no_such_db_here" in result["message"]

    def test_closed_port_fails(self, client: TestClient, user: str) -> None:
        config = dict(PG_CONFIG, port=1)
        response = client.post(f"{BASE}/sources/test", json={"type": "postgres", "config": config})
        assert response.json()["data"]["connection_result"]["status"] == "FAILED"

    def test_destination_bad_path_fails(self, client: TestClient, user: str) -> None:
        body = {"type": "parquet", "config": {"writer": {"local_path": "/proc/forbidden/x"}}}
        response = client.post(f"{BASE}/destinations/test", json=body)
        assert response.json()["data"]["connection_result"]["status"] == "FAILED"

    def test_masked_secret_of_stored_source_is_filled(self, client: TestClient, user: str) -> None:
        source = make_source(client, config=dict(PG_CONFIG, database="test"))
        config = json.loads(source["config"])
        assert config["password"] == "********"
        body = {"type": "postgres", "config": config, "id": source["id"]}
        response = client.post(f"{BASE}/sources/test", json=body)
        assert response.json()["data"]["connection_result"]["status"] == "SUCCEEDED"

    def test_unknown_type_is_400(self, client: TestClient, user: str) -> None:
        assert_error(client.post(f"{BASE}/sources/test", json={"type": "nope", "config": {}}), 400)

    def test_config_not_object_is_400(self, client: TestClient, user: str) -> None:
        response = client.post(f"{BASE}/sources/test", json={"type": "postgres", "config": "[1]"})
        assert_error(response, 400, "config")


class TestDiscover:
    def test_shipped_ui_form(self, client: TestClient, user: str, pg_schema: str) -> None:
        config = dict(PG_CONFIG, schemas=[pg_schema])
        body = {"name": "pg", "type": "postgres", "config": json.dumps(config), "job_id": None}
        response = client.post(f"{BASE}/sources/streams", json=body)
        assert response.status_code == 200, response.text
        catalog = response.json()["data"]["streams_config"]
        names = sorted(s["stream"]["name"] for s in catalog["streams"])
        assert names == ["orders", "users"]
        selected = catalog["selected_streams"][pg_schema]
        assert sorted(s["stream_name"] for s in selected) == names

    def test_contract_get_with_body(self, client: TestClient, user: str, pg_schema: str) -> None:
        body = {"type": "postgres", "config": dict(PG_CONFIG, schemas=[pg_schema])}
        response = client.request("GET", f"{BASE}/source/streams", json=body)
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]["streams_config"]["streams"]) == 2

    def test_unreachable_is_400_with_message(self, client: TestClient, user: str) -> None:
        body = {"type": "postgres", "config": dict(PG_CONFIG, port=1)}
        assert_error(client.post(f"{BASE}/sources/streams", json=body), 400, "discover failed")

    def test_unknown_job_is_404(self, client: TestClient, user: str) -> None:
        body = {"type": "postgres", "config": PG_CONFIG, "job_id": 4242}
        assert_error(client.post(f"{BASE}/sources/streams", json=body), 404)

    def test_malformed_body_is_400(self, client: TestClient, user: str) -> None:
        assert_error(client.request("GET", f"{BASE}/source/streams", content=b"{x"), 400)
