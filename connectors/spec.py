"""Connector specs: the config model's JSON Schema, an rjsf UI schema, and where the secrets are.

A secret field is marked in the config model with `Secret` (an annotated `str`) or
`secret_field(...)`; both put `"format": "password"` and `"x-secret": true` into the
field's JSON Schema. `secret_paths` walks that schema, so nested models (`ssh_config.password`)
and maps of secrets (`headers.*`) are found without any list kept by hand.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

SECRET_MARK = "x-secret"
_SECRET_SCHEMA: dict[str, Any] = {"format": "password", SECRET_MARK: True}

# `field: Secret` or `headers: dict[str, Secret]`: a string whose value is never shown or logged.
Secret = Annotated[str, Field(json_schema_extra=_SECRET_SCHEMA)]


def secret_field(default: Any = ..., **kwargs: Any) -> Any:
    """`Field(...)` for a secret: `password: str = secret_field(description="...")`."""
    return Field(default, json_schema_extra=dict(_SECRET_SCHEMA), **kwargs)


class ConnectorConfig(BaseModel):
    """Base of every connector config: unknown keys (e.g. `type` from the UI) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def spec(kind: str, type: str, version: str | None = None) -> dict[str, Any]:
    """OLake's spec form: `{"jsonschema": {...}, "uischema": "<json string>"}`."""
    from connectors import registry

    schema = jsonschema_of(registry.config_model(kind, type, version))
    return {"jsonschema": schema, "uischema": json.dumps(uischema_of(schema))}


def secret_paths(kind: str, type: str, version: str | None = None) -> list[str]:
    """Dotted paths of every secret in a config, `*` standing for any map key or list index."""
    return list(_secret_paths(kind, type, version))


@lru_cache(maxsize=512)
def _secret_paths(kind: str, type: str, version: str | None) -> tuple[str, ...]:
    # A config model does not change in a process; its schema costs milliseconds to build,
    # and every masked response asks for it.
    from connectors import registry

    return tuple(secret_paths_of(jsonschema_of(registry.config_model(kind, type, version))))


def jsonschema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with `$ref`s inlined and `Optional` flattened, as rjsf likes it."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})
    inlined = _inline(raw, defs)
    assert isinstance(inlined, dict)
    return inlined


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _inline(merged, defs)
    out = {key: _inline(value, defs) for key, value in node.items()}
    # `X | None` becomes anyOf [X, null]; rjsf renders that as a type picker, so keep X only.
    options = out.get("anyOf")
    if isinstance(options, list):
        non_null = [o for o in options if o.get("type") != "null"]
        if len(non_null) == 1 and len(options) == 2:
            del out["anyOf"]
            out = {**non_null[0], **out}
            if out.get("default", "") is None:
                del out["default"]  # rjsf would put null in the form, and null is not a string
    return out


def secret_paths_of(schema: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    if schema.get(SECRET_MARK):
        return [prefix]
    for name, sub in schema.get("properties", {}).items():
        paths += secret_paths_of(sub, f"{prefix}.{name}" if prefix else name)
    for key in ("additionalProperties", "items"):
        sub = schema.get(key)
        if isinstance(sub, dict):
            paths += secret_paths_of(sub, f"{prefix}.*" if prefix else "*")
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            paths += secret_paths_of(sub, prefix)
    return sorted(set(paths))


def uischema_of(schema: dict[str, Any]) -> dict[str, Any]:
    """rjsf UI schema: field order as declared, password widget for secrets, nested alike."""
    ui: dict[str, Any] = {}
    properties = schema.get("properties", {})
    if properties:
        ui["ui:order"] = list(properties)
    for name, sub in properties.items():
        if sub.get(SECRET_MARK):
            ui[name] = {"ui:widget": "password"}
        elif sub.get("properties"):
            ui[name] = uischema_of(sub)
        elif isinstance(sub.get("additionalProperties"), dict) and sub["additionalProperties"].get(
            SECRET_MARK
        ):
            ui[name] = {"additionalProperties": {"ui:widget": "password"}}
    return ui
