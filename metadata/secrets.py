"""Secret fields of connector configs: encrypted at rest (Fernet), masked in every response."""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

MASK = "********"
PREFIX = "enc:v1:"


def cipher_for(secret_key: str) -> Fernet:
    """Fernet (AES-CBC + HMAC-SHA256, authenticated) keyed from the settings' secret key."""
    digest = hashlib.sha256(b"prefect-olake/secrets/" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _walk(config: Any, parts: list[str], fn: Callable[[Any], Any]) -> None:
    """Apply fn to every value at the dotted path (`*` matches every key of a map)."""
    if not isinstance(config, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    keys = list(config) if head == "*" else [head]
    for key in keys:
        if key not in config or config[key] is None:
            continue
        if rest:
            _walk(config[key], rest, fn)
        else:
            config[key] = fn(config[key])


def _apply(
    config: dict[str, Any], paths: Iterable[str], fn: Callable[[Any], Any]
) -> dict[str, Any]:
    result = copy.deepcopy(config)
    for path in paths:
        _walk(result, path.split("."), fn)
    return result


def encrypt_config(config: dict[str, Any], paths: Iterable[str], cipher: Fernet) -> dict[str, Any]:
    def encrypt(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            return value
        return PREFIX + cipher.encrypt(str(value).encode()).decode()

    return _apply(config, paths, encrypt)


def decrypt_config(config: dict[str, Any], paths: Iterable[str], cipher: Fernet) -> dict[str, Any]:
    def decrypt(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            try:
                return cipher.decrypt(value[len(PREFIX) :].encode()).decode()
            except InvalidToken as exc:
                raise ValueError("a stored secret cannot be decrypted with this key") from exc
        return value

    return _apply(config, paths, decrypt)


def mask_config(config: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    return _apply(config, paths, lambda value: MASK if value not in ("", None) else value)


def keep_masked(
    new: dict[str, Any], stored: dict[str, Any], paths: Iterable[str]
) -> dict[str, Any]:
    """An update that sends the mask back keeps the stored (encrypted) secret."""
    result = copy.deepcopy(new)
    for path in paths:
        _restore(result, stored, path.split("."))
    return result


def _restore(new: Any, stored: Any, parts: list[str]) -> None:
    if not isinstance(new, dict) or not isinstance(stored, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    for key in list(new) if head == "*" else [head]:
        if key not in new:
            continue
        if rest:
            _restore(new[key], stored.get(key), rest)
        elif new[key] == MASK and key in stored:
            new[key] = stored[key]


def secret_values(config: dict[str, Any], paths: Iterable[str]) -> list[str]:
    """The plain secret values of a decrypted config, for log masking."""
    found: list[str] = []

    def collect(value: Any) -> Any:
        if isinstance(value, str) and value and value != MASK:
            found.append(value)
        return value

    _apply(config, paths, collect)
    return found
