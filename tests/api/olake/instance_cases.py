"""Test classes shared by sources and destinations; each test module sets the `plural` fixture."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api.olake.factories import (
    BASE,
    PARQUET_CONFIG,
    PG_CONFIG,
    make_destination,
    make_job,
    make_source,
)
from tests.api.olake.test_auth import assert_error
from tests.conftest import login, signup, unique

CASES = {
    "sources": {"type": "postgres", "config": PG_CONFIG, "secret": "password"},
    "destinations": {"type": "parquet", "config": PARQUET_CONFIG, "secret": None},
}


def body_for(plural: str, **overrides: object) -> dict[str, object]:
    case = CASES[plural]
    return {"name": unique(plural[:3]), "type": case["type"], "config": case["config"], **overrides}


def make(client: TestClient, plural: str, **kwargs: object) -> dict[str, object]:
    factory = make_source if plural == "sources" else make_destination
    return factory(client, **kwargs)  # type: ignore[arg-type]


class TestCreate:
    def test_creates_and_masks_secrets(self, client: TestClient, user: str, plural: str) -> None:
        body = body_for(plural)
        response = client.post(f"{BASE}/{plural}", json=body)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["name"] == body["name"] and data["type"] == body["type"]
        assert data["version"].startswith("v")
        if CASES[plural]["secret"]:
            assert data["config"][CASES[plural]["secret"]] == "********"
            assert "pg-secret-123" not in response.text

    def test_config_as_json_string(self, client: TestClient, user: str, plural: str) -> None:
        body = body_for(plural, config=json.dumps(CASES[plural]["config"]))
        assert client.post(f"{BASE}/{plural}", json=body).status_code == 200

    def test_config_bad_json_string_is_400(
        self, client: TestClient, user: str, plural: str
    ) -> None:
        response = client.post(f"{BASE}/{plural}", json=body_for(plural, config="{nope"))
        assert_error(response, 400, "config")

    def test_duplicate_name_is_409(self, client: TestClient, user: str, plural: str) -> None:
        body = body_for(plural)
        client.post(f"{BASE}/{plural}", json=body)
        assert_error(client.post(f"{BASE}/{plural}", json=body), 409, "already exists")

    def test_unknown_type_is_400_naming_known(
        self, client: TestClient, user: str, plural: str
    ) -> None:
        response = client.post(f"{BASE}/{plural}", json=body_for(plural, type="oracle9"))
        assert_error(response, 400, CASES[plural]["type"])

    def test_unknown_version_is_400(self, client: TestClient, user: str, plural: str) -> None:
        response = client.post(f"{BASE}/{plural}", json=body_for(plural, version="v99.0.0"))
        assert_error(response, 400, "version")

    def test_missing_name_is_400(self, client: TestClient, user: str, plural: str) -> None:
        body = body_for(plural)
        del body["name"]
        assert_error(client.post(f"{BASE}/{plural}", json=body), 400, "name")

    def test_overlong_name_is_400(self, client: TestClient, user: str, plural: str) -> None:
        assert_error(client.post(f"{BASE}/{plural}", json=body_for(plural, name="n" * 256)), 400)

    def test_unauthenticated_is_401(self, anon: TestClient, plural: str) -> None:
        assert_error(anon.post(f"{BASE}/{plural}", json=body_for(plural)), 401)

    def test_unknown_project_is_404(self, client: TestClient, user: str, plural: str) -> None:
        assert_error(client.post(f"/api/v1/project/nope/{plural}", json=body_for(plural)), 404)


class TestList:
    def test_lists_with_jobs(self, client: TestClient, user: str, plural: str) -> None:
        job = make_job(client)
        response = client.get(f"{BASE}/{plural}")
        assert response.status_code == 200
        rows = response.json()["data"]
        assert len(rows) == 1
        row = rows[0]
        assert row["created_by"] == user and row["updated_by"] == user
        assert isinstance(row["config"], str) and "pg-secret-123" not in row["config"]
        assert [j["name"] for j in row["jobs"]] == [job["name"]]
        other = "dest_name" if plural == "sources" else "source_name"
        assert (
            row["jobs"][0][other] == job["destination" if plural == "sources" else "source"]["name"]
        )
        assert row["jobs"][0]["activate"] is True

    def test_project_alias_and_default_id_agree(
        self, client: TestClient, user: str, plural: str
    ) -> None:
        make(client, plural)
        by_alias = client.get(f"{BASE}/{plural}").json()["data"]
        by_id = client.get(f"/api/v1/project/olake/{plural}").json()["data"]
        assert by_alias == by_id and len(by_id) == 1

    def test_non_member_is_403(
        self, client: TestClient, user: str, anon: TestClient, plural: str
    ) -> None:
        from metadata.models import Project

        with client.app.state.session_factory.begin() as db:  # type: ignore[attr-defined]
            db.add(Project(id="private", name="private"))
        assert_error(client.get(f"/api/v1/project/private/{plural}"), 403)


class TestUpdate:
    def test_updates_and_keeps_masked_secret(
        self, client: TestClient, user: str, plural: str
    ) -> None:
        row = make(client, plural)
        config = json.loads(row["config"])  # masked, as the UI would send it back
        response = client.put(
            f"{BASE}/{plural}/{row['id']}", json={"name": "renamed", "config": json.dumps(config)}
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["name"] == "renamed"
        if CASES[plural]["secret"]:
            stored = _stored_config(client, plural, row["id"])
            assert stored["password"].startswith("enc:v1:")
            from metadata.secrets import decrypt_config

            plain = decrypt_config(stored, ["password"], client.app.state.cipher)  # type: ignore[attr-defined]
            assert plain["password"] == "pg-secret-123"

    def test_rename_to_taken_name_is_409(self, client: TestClient, user: str, plural: str) -> None:
        first, second = make(client, plural), make(client, plural)
        response = client.put(f"{BASE}/{plural}/{second['id']}", json={"name": first["name"]})
        assert_error(response, 409)

    def test_unknown_id_is_404(self, client: TestClient, user: str, plural: str) -> None:
        assert_error(client.put(f"{BASE}/{plural}/999999", json={"name": "x"}), 404)

    def test_non_integer_id_is_400(self, client: TestClient, user: str, plural: str) -> None:
        assert_error(client.put(f"{BASE}/{plural}/abc", json={"name": "x"}), 400, "id")


class TestDelete:
    def test_soft_delete_frees_the_name(self, client: TestClient, user: str, plural: str) -> None:
        row = make(client, plural)
        response = client.delete(f"{BASE}/{plural}/{row['id']}")
        assert response.status_code == 200
        assert response.json()["data"] == {"name": row["name"]}
        assert client.get(f"{BASE}/{plural}").json()["data"] == []
        assert (
            client.post(f"{BASE}/{plural}", json=body_for(plural, name=row["name"])).status_code
            == 200
        )
        assert _stored_config(client, plural, row["id"]) is not None  # the row is kept

    def test_refused_while_a_live_job_uses_it(
        self, client: TestClient, user: str, plural: str
    ) -> None:
        job = make_job(client)
        used = job["source" if plural == "sources" else "destination"]
        assert_error(client.delete(f"{BASE}/{plural}/{used['id']}"), 400, job["name"])
        assert client.delete(f"{BASE}/jobs/{job['id']}").status_code == 200
        assert client.delete(f"{BASE}/{plural}/{used['id']}").status_code == 200

    def test_unknown_id_is_404(self, client: TestClient, user: str, plural: str) -> None:
        assert_error(client.delete(f"{BASE}/{plural}/424242"), 404)

    def test_other_users_project_is_403(
        self, client: TestClient, anon: TestClient, plural: str
    ) -> None:
        owner = signup(client)
        login(client, owner)
        row = make(client, plural)
        _private_project_with(client, owner)
        stranger = signup(anon)
        token = login(anon, stranger)
        response = anon.delete(
            f"/api/v1/project/private/{plural}/{row['id']}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert_error(response, 403)


class TestVersions:
    def test_lists_versions(self, client: TestClient, user: str, plural: str) -> None:
        response = client.get(f"{BASE}/{plural}/versions", params={"type": CASES[plural]["type"]})
        assert response.status_code == 200
        assert response.json()["data"]["version"][0].startswith("v")

    def test_unknown_type_is_400(self, client: TestClient, user: str, plural: str) -> None:
        assert_error(client.get(f"{BASE}/{plural}/versions", params={"type": "nope"}), 400)

    def test_missing_type_is_400(self, client: TestClient, user: str, plural: str) -> None:
        assert_error(client.get(f"{BASE}/{plural}/versions"), 400, "type")


def _stored_config(client: TestClient, plural: str, id: int) -> dict[str, object]:
    from metadata.models import Destination, Source

    model = Source if plural == "sources" else Destination
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        row = db.get(model, id)
        assert row is not None
        return dict(row.config)


def _private_project_with(client: TestClient, username: str) -> None:
    from metadata.models import Project
    from metadata.projects import add_member
    from metadata.users import read_user

    with client.app.state.session_factory.begin() as db:  # type: ignore[attr-defined]
        db.add(Project(id="private", name="private"))
        db.flush()
        user = read_user(db, username=username)
        assert user is not None
        add_member(db, project_id="private", user=user)
