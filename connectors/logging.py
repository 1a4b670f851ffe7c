"""Secret masking for logs: a `logging.Filter` that replaces every known secret with `********`.

Secrets come from configs through the spec's `secret_paths`, as Airbyte's CDK does: call
`register_config(kind, type, version, config)` before running a connector, and install
`SecretFilter` on the handlers that leave the process (`install()` does the root's).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

MASK = "********"
_MIN_LENGTH = 3  # masking "a" or "1" would shred every log line and hide nothing
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: Any) -> None:
    """Mask this value in every log line from now on."""
    text = str(value) if value is not None else ""
    if len(text) >= _MIN_LENGTH:
        with _lock:
            _secrets.add(text)


def values_at(config: Any, path: str) -> list[Any]:
    """The values at a dotted path where `*` matches any key or index."""
    nodes = [config]
    for part in path.split("."):
        found: list[Any] = []
        for node in nodes:
            if isinstance(node, dict):
                found += (
                    list(node.values()) if part == "*" else [node[part]] if part in node else []
                )
            elif isinstance(node, list) and part == "*":
                found += node
        nodes = found
    return nodes


def secret_values(config: dict[str, Any], paths: list[str]) -> list[str]:
    return [str(v) for p in paths for v in values_at(config, p) if v not in (None, "")]


def register_config(kind: str, type: str, version: str | None, config: dict[str, Any]) -> None:
    """Register every secret of a connector config, as its spec marks them."""
    from connectors.spec import secret_paths

    paths = secret_paths(kind, type, version)
    # OLake nests a destination's fields under "writer"; look there too.
    paths += [f"writer.{p}" for p in paths]
    for value in secret_values(config, paths):
        register_secret(value)


def mask(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record's message and traceback with every registered secret masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def install(handler: logging.Handler | None = None) -> SecretFilter:
    """Add the filter to `handler`, or to every handler of the root logger."""
    secret_filter = SecretFilter()
    for h in [handler] if handler else logging.getLogger().handlers:
        if not any(isinstance(f, SecretFilter) for f in h.filters):
            h.addFilter(secret_filter)
    return secret_filter
