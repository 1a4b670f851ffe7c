"""The connector registry as the API sees it: known types and versions, specs, secret paths."""

from __future__ import annotations

from typing import Any

from connectors import registry, spec
from connectors.errors import UnknownConnectorError
from metadata.errors import Invalid


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
    try:
        return spec.secret_paths(kind, type, version)
    except UnknownConnectorError as exc:
        raise Invalid(str(exc)) from None


def connector_spec(kind: str, type: str, version: str | None) -> dict[str, Any]:
    try:
        return spec.spec(kind, type, version)
    except UnknownConnectorError as exc:
        raise Invalid(str(exc)) from None
