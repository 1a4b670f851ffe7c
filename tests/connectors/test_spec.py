"""Specs: valid JSON Schema with refs inlined, rjsf UI schema, secrets marked and found."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import BaseModel

from connectors import registry
from connectors.spec import (
    ConnectorConfig,
    Secret,
    jsonschema_of,
    secret_field,
    secret_paths_of,
    spec,
    uischema_of,
)


class SSH(BaseModel):
    host: str
    password: str = secret_field(None)


class Example(ConnectorConfig):
    name: str
    token: Secret
    ssh_config: SSH | None = None
    headers: dict[str, Secret] = {}


@pytest.mark.parametrize(
    ("kind", "type"),
    [(k, t) for k in ("source", "destination") for t in registry.types(k)],
)
def test_every_builtin_spec_is_valid(kind: str, type: str) -> None:
    result = spec(kind, type)
    jsonschema.Draft202012Validator.check_schema(result["jsonschema"])
    assert "$defs" not in result["jsonschema"] and "$ref" not in json.dumps(result)
    ui = json.loads(result["uischema"])
    assert ui["ui:order"] == list(result["jsonschema"]["properties"])


def test_secrets_are_marked_in_the_schema() -> None:
    schema = jsonschema_of(Example)
    assert schema["properties"]["token"]["format"] == "password"
    assert schema["properties"]["token"]["x-secret"] is True
    assert schema["properties"]["ssh_config"]["properties"]["password"]["x-secret"] is True


def test_secret_paths_cover_nested_models_and_maps() -> None:
    assert secret_paths_of(jsonschema_of(Example)) == ["headers.*", "ssh_config.password", "token"]


def test_uischema_uses_the_password_widget() -> None:
    ui = uischema_of(jsonschema_of(Example))
    assert ui["token"] == {"ui:widget": "password"}
    assert ui["ssh_config"]["password"] == {"ui:widget": "password"}
    assert ui["ui:order"] == ["name", "token", "ssh_config", "headers"]


def test_optional_fields_are_flattened_for_rjsf() -> None:
    schema = jsonschema_of(Example)
    assert "anyOf" not in schema["properties"]["ssh_config"]
    assert schema["properties"]["ssh_config"]["type"] == "object"


def test_destination_spec_uses_the_writer_fields() -> None:
    props = spec("destination", "parquet")["jsonschema"]["properties"]
    assert "local_path" in props and "writer" not in props
    assert "db_path" in spec("destination", "duckdb")["jsonschema"]["properties"]


def test_config_models_ignore_the_type_key() -> None:
    model = registry.config_model("source", "csv").model_validate({"type": "csv", "path": "x"})
    assert model.path == "x"  # type: ignore[attr-defined]
