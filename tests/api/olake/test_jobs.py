"""OLake job endpoints as records: create, list, read, update, delete, activate, check-unique."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api.olake.factories import BASE, PG_CONFIG, make_destination, make_job, make_source
from tests.api.olake.test_auth import assert_error
from tests.conftest import unique


def job_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": unique("job"),
        "source": {"name": unique("src"), "type": "postgres", "config": json.dumps(PG_CONFIG)},
        "destination": {
            "name": unique("dst"),
            "type": "parquet",
            "config": json.dumps({"writer": {"local_path": "/tmp/x"}}),
        },
        "frequency": "0 * * * *",
        "streams_config": json.dumps({"selected_streams": {}, "streams": []}),
    }
    body.update(overrides)
    return body


class TestCreateJob:
    def test_creates_inline_source_and_destination(self, client: TestClient, user: str) -> None:
        body = job_body()
        response = client.post(f"{BASE}/jobs", json=body)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["name"] == body["name"] and data["activate"] is True
        assert data["frequency"] == "0 * * * *"
        assert json.loads(data["source"]["config"])["password"] == "********"
        assert "pg-secret-123" not in response.text
        names = [s["name"] for s in client.get(f"{BASE}/sources").json()["data"]]
        assert body["source"]["name"] in names  # type: ignore[index]

    def test_refers_to_existing_by_name(self, client: TestClient, user: str) -> None:
        source, destination = make_source(client), make_destination(client)
        job = make_job(client, source=source, destination=destination)
        assert job["source"]["id"] == source["id"]
        assert job["destination"]["id"] == destination["id"]

    def test_unknown_source_without_type_is_400(self, client: TestClient, user: str) -> None:
        response = client.post(f"{BASE}/jobs", json=job_body(source={"name": "ghost"}))
        assert_error(response, 400, "ghost")

    def test_shorthand_frequency(self, client: TestClient, user: str) -> None:
        response = client.post(f"{BASE}/jobs", json=job_body(frequency="15-minutes"))
        assert response.status_code == 200

    def test_bad_frequency_is_400_naming_forms(self, client: TestClient, user: str) -> None:
        response = client.post(f"{BASE}/jobs", json=job_body(frequency="every tuesday"))
        assert_error(response, 400, "N-minutes")

    def test_duplicate_name_is_409_and_creates_nothing(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        response = client.post(f"{BASE}/jobs", json=job_body(name=job["name"]))
        assert_error(response, 409)
        assert len(client.get(f"{BASE}/sources").json()["data"]) == 1

    def test_bad_streams_config_is_400(self, client: TestClient, user: str) -> None:
        response = client.post(f"{BASE}/jobs", json=job_body(streams_config="[1,"))
        assert_error(response, 400, "streams_config")

    def test_missing_destination_is_400(self, client: TestClient, user: str) -> None:
        body = job_body()
        del body["destination"]
        assert_error(client.post(f"{BASE}/jobs", json=body), 400, "destination")


class TestListJobs:
    def test_lists_in_ui_shape(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        rows = client.get(f"{BASE}/jobs").json()["data"]
        assert [r["id"] for r in rows] == [job["id"]]
        row = rows[0]
        for key in ("source", "destination", "streams_config", "last_run_time", "created_by"):
            assert key in row
        assert isinstance(row["streams_config"], str)
        assert row["created_by"] == user

    def test_filters_by_source_and_destination(self, client: TestClient, user: str) -> None:
        first, second = make_job(client), make_job(client)
        by_source = client.get(f"{BASE}/jobs", params={"source_id": first["source"]["id"]})
        assert [r["id"] for r in by_source.json()["data"]] == [first["id"]]
        by_dest = client.get(f"{BASE}/jobs", params={"dest_id": second["destination"]["id"]})
        assert [r["id"] for r in by_dest.json()["data"]] == [second["id"]]

    def test_bad_filter_is_400(self, client: TestClient, user: str) -> None:
        assert_error(client.get(f"{BASE}/jobs", params={"source_id": "x"}), 400, "source_id")


class TestReadJob:
    def test_reads_one(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        response = client.get(f"{BASE}/jobs/{job['id']}")
        assert response.status_code == 200 and response.json()["data"]["name"] == job["name"]

    def test_unknown_is_404(self, client: TestClient, user: str) -> None:
        assert_error(client.get(f"{BASE}/jobs/999"), 404)


class TestUpdateJob:
    def test_updates_fields(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        body = {"name": "renamed", "frequency": "2-hours", "activate": False}
        response = client.put(f"{BASE}/jobs/{job['id']}", json=body)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert (data["name"], data["frequency"], data["activate"]) == ("renamed", "2-hours", False)

    def test_updates_streams_and_source_config(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        config = json.loads(job["source"]["config"])
        config["host"] = "db.internal"
        body = {
            "source": {
                "name": job["source"]["name"],
                "type": "postgres",
                "config": json.dumps(config),
            },
            "streams_config": {"selected_streams": {"public": []}, "streams": []},
        }
        response = client.put(f"{BASE}/jobs/{job['id']}", json=body)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert json.loads(data["streams_config"])["selected_streams"] == {"public": []}
        assert json.loads(data["source"]["config"])["host"] == "db.internal"
        assert json.loads(data["source"]["config"])["password"] == "********"

    def test_bad_frequency_is_400(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        assert_error(client.put(f"{BASE}/jobs/{job['id']}", json={"frequency": "x"}), 400)

    def test_unknown_is_404(self, client: TestClient, user: str) -> None:
        assert_error(client.put(f"{BASE}/jobs/999", json={"name": "x"}), 404)

    def test_wrong_type_is_400(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        assert_error(client.put(f"{BASE}/jobs/{job['id']}", json={"activate": "maybe"}), 400)


class TestDeleteJob:
    def test_soft_deletes(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        response = client.delete(f"{BASE}/jobs/{job['id']}")
        assert response.status_code == 200 and response.json()["data"] == {"name": job["name"]}
        assert client.get(f"{BASE}/jobs").json()["data"] == []
        assert_error(client.get(f"{BASE}/jobs/{job['id']}"), 404)
        make_job(client, name=job["name"])  # the name is free again

    def test_unknown_is_404(self, client: TestClient, user: str) -> None:
        assert_error(client.delete(f"{BASE}/jobs/999"), 404)


class TestActivateJob:
    def test_deactivates_and_activates(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        for flag in (False, True):
            response = client.post(f"{BASE}/jobs/{job['id']}/activate", json={"activate": flag})
            assert response.status_code == 200 and response.json()["data"] == {"activate": flag}
            assert client.get(f"{BASE}/jobs/{job['id']}").json()["data"]["activate"] is flag

    def test_missing_flag_is_400(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        assert_error(client.post(f"{BASE}/jobs/{job['id']}/activate", json={}), 400, "activate")


class TestCheckUnique:
    def test_contract_form(self, client: TestClient, user: str) -> None:
        job = make_job(client)
        taken = client.post(f"{BASE}/jobs/check-unique", json={"job_name": job["name"]})
        free = client.post(f"{BASE}/jobs/check-unique", json={"job_name": "free-name"})
        assert taken.json()["data"] == {"unique": False}
        assert free.json()["data"] == {"unique": True}

    def test_shipped_ui_form(self, client: TestClient, user: str) -> None:
        source = make_source(client)
        for path in (f"{BASE}/check-unique", f"{BASE}/jobs/check-unique"):
            body = {"name": source["name"], "entity_type": "source"}
            assert client.post(path, json=body).json()["data"] == {"unique": False}
            body = {"name": source["name"], "entity_type": "destination"}
            assert client.post(path, json=body).json()["data"] == {"unique": True}

    def test_no_name_is_400(self, client: TestClient, user: str) -> None:
        assert_error(client.post(f"{BASE}/jobs/check-unique", json={}), 400)

    def test_bad_entity_type_is_400(self, client: TestClient, user: str) -> None:
        response = client.post(f"{BASE}/check-unique", json={"name": "a", "entity_type": "table"})
        assert_error(response, 400, "entity_type")
