"""Connector errors: a kind that decides retries, a message for the user and one for the log."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    CONFIG = "config"  # the user must change something; never retried
    TRANSIENT = "transient"  # network blips, lost connections, 429/5xx; retried
    SYSTEM = "system"  # a bug or an unexpected state on our side


class ConnectorError(Exception):
    """An error a connector raises on purpose, classified by `kind`."""

    def __init__(
        self,
        user_message: str,
        *,
        kind: ErrorKind = ErrorKind.SYSTEM,
        internal_message: str | None = None,
    ) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.internal_message = internal_message or user_message
        self.kind = kind

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.TRANSIENT


class ConfigError(ConnectorError):
    def __init__(self, user_message: str, *, internal_message: str | None = None) -> None:
        super().__init__(user_message, kind=ErrorKind.CONFIG, internal_message=internal_message)


class TransientError(ConnectorError):
    def __init__(self, user_message: str, *, internal_message: str | None = None) -> None:
        super().__init__(user_message, kind=ErrorKind.TRANSIENT, internal_message=internal_message)


class UnknownConnectorError(LookupError):
    """No connector is registered under that type (or version); the message names the known ones."""
