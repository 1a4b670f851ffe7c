"""OLake auth endpoints: signup, login, auth check, logout."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import login, signup, unique


def assert_error(response, status: int, contains: str = "") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert contains.lower() in body["message"].lower()


class TestSignup:
    def test_creates_user(self, client: TestClient) -> None:
        name = unique("u")
        response = client.post(
            "/signup", json={"username": name, "password": "pw", "email": "A@x.io"}
        )
        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": "user created",
            "data": {"username": name, "email": "a@x.io"},
        }

    def test_duplicate_username_is_409(self, client: TestClient) -> None:
        name = signup(client)
        response = client.post("/signup", json={"username": name, "password": "pw"})
        assert_error(response, 409, "username")

    def test_duplicate_email_is_409(self, client: TestClient) -> None:
        client.post("/signup", json={"username": unique("u"), "password": "p", "email": "e@x.io"})
        response = client.post(
            "/signup", json={"username": unique("u"), "password": "p", "email": "e@x.io"}
        )
        assert_error(response, 409, "email")

    def test_missing_password_is_400(self, client: TestClient) -> None:
        assert_error(client.post("/signup", json={"username": "x"}), 400, "password")

    def test_bad_email_is_400(self, client: TestClient) -> None:
        response = client.post("/signup", json={"username": "x", "password": "p", "email": "nope"})
        assert_error(response, 400, "email")

    def test_overlong_username_is_400(self, client: TestClient) -> None:
        response = client.post("/signup", json={"username": "x" * 300, "password": "p"})
        assert_error(response, 400, "username")

    def test_malformed_json_is_400(self, client: TestClient) -> None:
        response = client.post(
            "/signup", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert_error(response, 400, "json")


class TestLogin:
    def test_sets_cookie_and_returns_jwt(self, client: TestClient) -> None:
        name = signup(client)
        response = client.post("/login", json={"username": name, "password": "s3cret-pass"})
        assert response.status_code == 200
        data = response.json()["data"]
        assert data["username"] == name and data["token"].count(".") == 2
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("olake-session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=2592000" in cookie

    def test_wrong_password_is_401(self, client: TestClient) -> None:
        name = signup(client)
        response = client.post("/login", json={"username": name, "password": "wrong"})
        assert_error(response, 401, "Invalid credentials")

    def test_unknown_user_is_401(self, client: TestClient) -> None:
        response = client.post("/login", json={"username": "ghost", "password": "x"})
        assert_error(response, 401, "Invalid credentials")

    def test_wrong_type_is_400(self, client: TestClient) -> None:
        assert_error(client.post("/login", json={"username": 5, "password": []}), 400)


class TestAuthCheck:
    def test_cookie_session(self, client: TestClient, user: str) -> None:
        for path in ("/auth", "/auth/check"):
            response = client.get(path)
            assert response.status_code == 200
            assert response.json()["data"]["username"] == user

    def test_bearer_token(self, client: TestClient, anon: TestClient) -> None:
        name = signup(client)
        token = login(client, name)
        response = anon.get("/auth", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and response.json()["data"]["username"] == name

    def test_without_credentials_is_401(self, anon: TestClient) -> None:
        assert_error(anon.get("/auth"), 401, "Authentication required")

    def test_garbage_token_is_401(self, anon: TestClient) -> None:
        assert_error(anon.get("/auth", headers={"Authorization": "Bearer abc.def.ghi"}), 401)


class TestLogout:
    def test_revokes_session_and_token(self, client: TestClient, anon: TestClient) -> None:
        name = signup(client)
        token = login(client, name)
        response = client.post("/logout")
        assert response.status_code == 200 and response.json()["success"] is True
        assert_error(anon.get("/auth", headers={"Authorization": f"Bearer {token}"}), 401)
        assert_error(client.get("/auth"), 401)

    def test_without_session_is_ok(self, anon: TestClient) -> None:
        assert anon.post("/logout").status_code == 200
