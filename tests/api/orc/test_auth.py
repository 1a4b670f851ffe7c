"""orc-rust-ator auth: register, login, and tokens shared with the OLake dialect."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import unique


def assert_orc_error(response, status: int, contains: str = "") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and contains.lower() in body["error"].lower()


def orc_token(client: TestClient) -> str:
    name = unique("orc")
    assert (
        client.post("/auth/register", json={"username": name, "password": "pw"}).status_code == 200
    )
    return str(
        client.post("/auth/login", json={"username": name, "password": "pw"}).json()["token"]
    )


class TestRegister:
    def test_registers(self, client: TestClient) -> None:
        response = client.post("/auth/register", json={"username": unique("u"), "password": "pw"})
        assert response.status_code == 200 and response.json()["message"]

    def test_duplicate_is_400(self, client: TestClient) -> None:
        name = unique("u")
        client.post("/auth/register", json={"username": name, "password": "pw"})
        response = client.post("/auth/register", json={"username": name, "password": "pw"})
        assert_orc_error(response, 400, "exists")

    def test_missing_password_is_400(self, client: TestClient) -> None:
        assert_orc_error(client.post("/auth/register", json={"username": "x"}), 400, "password")

    def test_malformed_json_is_400(self, client: TestClient) -> None:
        response = client.post(
            "/auth/register", content=b"{", headers={"content-type": "application/json"}
        )
        assert_orc_error(response, 400, "json")


class TestLogin:
    def test_token_works_on_olake_routes(self, client: TestClient, anon: TestClient) -> None:
        token = orc_token(client)
        response = anon.get("/auth", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200

    def test_olake_token_works_here(self, client: TestClient, anon: TestClient) -> None:
        name = unique("u")
        client.post("/signup", json={"username": name, "password": "pw"})
        token = client.post("/login", json={"username": name, "password": "pw"}).json()["data"][
            "token"
        ]
        assert anon.get("/jobs", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    def test_wrong_password_is_401(self, client: TestClient) -> None:
        name = unique("u")
        client.post("/auth/register", json={"username": name, "password": "pw"})
        response = client.post("/auth/login", json={"username": name, "password": "nope"})
        assert_orc_error(response, 401, "invalid credentials")
