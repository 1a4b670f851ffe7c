"""The connector host deny list: link-local and cloud metadata hosts are refused."""

from __future__ import annotations

import pytest

from metadata.egress import check_hosts
from metadata.errors import Invalid
from metadata.settings import Settings

DENY = Settings(env="test").connector_host_denylist


class TestCheckHosts:
    @pytest.mark.parametrize(
        "config",
        [
            {"host": "169.254.169.254"},
            {"url": "http://169.254.169.254/latest/meta-data/"},
            {"writer": {"endpoint": "http://[fe80::1]/"}},
            {"host": "metadata.google.internal"},
            {"url": "http://[::ffff:169.254.169.254]/"},
        ],
    )
    def test_denied(self, config: dict[str, object]) -> None:
        with pytest.raises(Invalid, match="not allowed"):
            check_hosts(config, DENY)

    @pytest.mark.parametrize(
        "config",
        [{"host": "127.0.0.1"}, {"url": "http://localhost:8000/x"}, {"path": "/tmp/a.csv"}, {}],
    )
    def test_allowed(self, config: dict[str, object]) -> None:
        check_hosts(config, DENY)

    def test_configurable(self) -> None:
        with pytest.raises(Invalid):
            check_hosts({"host": "127.0.0.1"}, ["127.0.0.0/8"])


class TestApiRefusesDeniedHosts:
    def test_connection_test_is_400(self, client, user) -> None:  # type: ignore[no-untyped-def]
        body = {"type": "api", "config": {"url": "http://169.254.169.254/latest"}}
        response = client.post("/api/v1/project/123/sources/test", json=body)
        assert response.status_code == 400 and "not allowed" in response.json()["message"]

    def test_discover_is_400(self, client, user) -> None:  # type: ignore[no-untyped-def]
        body = {
            "type": "postgres",
            "config": {"host": "169.254.1.1", "username": "u", "database": "d"},
        }
        response = client.post("/api/v1/project/123/sources/streams", json=body)
        assert response.status_code == 400 and "not allowed" in response.json()["message"]
