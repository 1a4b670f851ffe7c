"""Secret masking: values from configs (nested, maps) are replaced in messages and tracebacks."""

from __future__ import annotations

import io
import logging

import pytest

from connectors import logging as secret_logging
from connectors.logging import MASK, SecretFilter, register_config, register_secret, values_at


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    secret_logging.install(handler)
    logger = logging.getLogger("test.connectors.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, stream


def test_registered_secret_is_masked_in_args(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = captured
    register_secret("hunter2-password")
    logger.info("connecting with %s", "hunter2-password")
    assert out.getvalue().strip() == f"connecting with {MASK}"


def test_config_secrets_are_found_through_the_spec(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = captured
    register_config("source", "api", None, {"url": "http://x", "headers": {"X-Key": "k-998877"}})
    logger.info("header k-998877 and url http://x")
    assert out.getvalue().strip() == f"header {MASK} and url http://x"


def test_tracebacks_are_masked(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = captured
    register_secret("tb-secret-42")
    try:
        raise RuntimeError("failed with tb-secret-42")
    except RuntimeError:
        logger.exception("boom")
    assert "tb-secret-42" not in out.getvalue() and MASK in out.getvalue()


def test_short_values_are_not_masked() -> None:
    register_secret("ab")
    assert secret_logging.mask("ab cd") == "ab cd"


def test_values_at_follows_wildcards() -> None:
    config = {"ssh_config": {"password": "p"}, "headers": {"a": "1", "b": "2"}, "hosts": [{"k": 3}]}
    assert values_at(config, "ssh_config.password") == ["p"]
    assert values_at(config, "headers.*") == ["1", "2"]
    assert values_at(config, "hosts.*.k") == [3]
    assert values_at(config, "missing.x") == []


def test_filter_always_lets_the_record_through() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain", None, None)
    assert SecretFilter().filter(record) is True
