"""The connector registry as the API sees it: known types and versions, specs, secret paths."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from connectors import logging as masking
from connectors import registry, runner, spec
from connectors.errors import ConnectorError, UnknownConnectorError
from metadata.egress import check_hosts
from metadata.errors import Invalid
from metadata.secrets import secret_values


def resolve_version(kind: str, type: str, version: str | None) -> str:
    """The version to use (newest when empty); 400 naming the known ones otherwise."""
    try:
        known = registry.versions(kind, type)
    except UnknownConnectorError as exc:
        raise Invalid(str(exc)) from None
    if not version or version == "latest":
        return known[0]
    if version not in known:
        raise Invalid(f"unknown {kind} version '{version}' for '{type}'; known: {', '.join(known)}")
    return version


def known_versions(kind: str, type: str) -> list[str]:
    try:
        return registry.versions(kind, type)
    except UnknownConnectorError as exc:
        raise Invalid(str(exc)) from None


def secret_paths(kind: str, type: str, version: str | None) -> list[str]:
    """Where the secrets of a config are; OLake nests destination fields under `writer`."""
    try:
        paths = spec.secret_paths(kind, type, version)
    except UnknownConnectorError as exc:
        raise Invalid(str(exc)) from None
    return paths + [f"writer.{path}" for path in paths] if kind == "destination" else paths


def test_connection(
    kind: str,
    type: str,
    version: str | None,
    config: dict[str, Any],
    timeout: float,
    denylist: Sequence[str] = (),
) -> dict[str, Any]:
    """Run the connector's check; the log lines it wrote come back with secrets masked."""
    version = resolve_version(kind, type, version)
    check_hosts(config, denylist)
    for value in secret_values(config, secret_paths(kind, type, version)):
        masking.register_secret(value)
    captured: list[dict[str, str]] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(
                {
                    "level": record.levelname.lower(),
                    "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                    "message": masking.mask(record.getMessage()),
                }
            )

    handler = Capture(logging.INFO)
    connectors_log = logging.getLogger("connectors")
    connectors_log.addHandler(handler)
    try:
        result = runner.check(kind, type, version, config, timeout=timeout)
    finally:
        connectors_log.removeHandler(handler)
    message = masking.mask(result.message)
    captured.append(
        {
            "level": "info" if result.status.value == "SUCCEEDED" else "error",
            "time": datetime.now(UTC).isoformat(),
            "message": f"connection check {result.status.value}"
            + (f": {message}" if message else ""),
        }
    )
    return {
        "connection_result": {"status": result.status.value, "message": message},
        "logs": captured,
    }


def discover_streams(
    type: str,
    version: str | None,
    config: dict[str, Any],
    previous: dict[str, Any] | None,
    timeout: float,
    denylist: Sequence[str] = (),
) -> dict[str, Any]:
    version = resolve_version("source", type, version)
    check_hosts(config, denylist)
    for value in secret_values(config, secret_paths("source", type, version)):
        masking.register_secret(value)
    try:
        return runner.discover(type, version, config, previous_catalog=previous, timeout=timeout)
    except ConnectorError as exc:
        raise Invalid(f"discover failed: {masking.mask(exc.user_message)}") from None


def connector_spec(kind: str, type: str, version: str | None) -> dict[str, Any]:
    try:
        return spec.spec(kind, type, version)
    except UnknownConnectorError as exc:
        raise Invalid(str(exc)) from None
