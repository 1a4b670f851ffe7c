"""The connector registry: (kind, type, version) -> import strings, imported only when used.

Built-ins are listed below by hand; third parties register through the entry-point group
`prefect_olake.connectors`, one entry per connector, named `<kind>.<type>` (e.g.
`source.mongodb`) and pointing at the Source or Destination class. Listing types, versions,
config models or specs never imports a driver: `config_model` imports the connector's
`config.py` only, which by convention imports pydantic and nothing heavy.
"""

from __future__ import annotations

import builtins
import importlib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel

from connectors.errors import UnknownConnectorError

if TYPE_CHECKING:  # base imports pyarrow; listing connectors must stay light
    from connectors.base import Destination, Source

Kind = Literal["source", "destination"]
ENTRY_POINT_GROUP = "prefect_olake.connectors"


@dataclass(frozen=True)
class Registration:
    """One version of one connector: where its class and its config model live."""

    impl: str  # "package.module:Class"
    config: str | None = None  # "package.module:Model"; None: the class's `config_model`


def _builtin(kind: str, type: str, cls: str, model: str) -> dict[str, Registration]:
    package = f"connectors.{kind}s.{type}"
    module = "source" if kind == "source" else "destination"
    return {"v0.1.0": Registration(f"{package}.{module}:{cls}", f"{package}.config:{model}")}


# Versions newest first: the first key of each inner dict is what `version=None` means.
BUILTINS: dict[tuple[str, str], dict[str, Registration]] = {
    ("source", "postgres"): _builtin("source", "postgres", "PostgresSource", "PostgresConfig"),
    ("source", "mysql"): _builtin("source", "mysql", "MySQLSource", "MySQLConfig"),
    ("source", "csv"): _builtin("source", "csv", "CSVSource", "CSVConfig"),
    ("source", "parquet"): _builtin("source", "parquet", "ParquetSource", "ParquetSourceConfig"),
    ("source", "api"): _builtin("source", "api", "APISource", "APIConfig"),
    ("destination", "parquet"): _builtin(
        "destination", "parquet", "ParquetDestination", "ParquetConfig"
    ),
    ("destination", "duckdb"): _builtin(
        "destination", "duckdb", "DuckDBDestination", "DuckDBConfig"
    ),
}


@cache
def _entry_points() -> dict[tuple[str, str], EntryPoint]:
    found: dict[tuple[str, str], EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        kind, _, type = ep.name.partition(".")
        if kind in ("source", "destination") and type:
            found[(kind, type)] = ep
    return found


def _registrations(kind: str, type: str) -> dict[str, Registration]:
    if kind not in ("source", "destination"):
        raise UnknownConnectorError(f"unknown connector kind {kind!r}: use source or destination")
    key = (kind, type.lower())
    if key in BUILTINS:
        return BUILTINS[key]
    ep = _entry_points().get(key)
    if ep is None:
        known = ", ".join(types(kind))
        raise UnknownConnectorError(f"unknown {kind} type {type!r}; known types: {known}")
    # A third-party class names its own version; loading it is the price of asking.
    cls = ep.load()
    return {str(getattr(cls, "version", "v0.0.0")): Registration(ep.value)}


def types(kind: str) -> list[str]:
    names = {t for (k, t) in BUILTINS if k == kind} | {t for (k, t) in _entry_points() if k == kind}
    return sorted(names)


def source_types() -> list[str]:
    return types("source")


def destination_types() -> list[str]:
    return types("destination")


def versions(kind: str, type: str) -> list[str]:
    """Known versions of a connector, newest first."""
    return list(_registrations(kind, type))


def _registration(kind: str, type: str, version: str | None) -> Registration:
    regs = _registrations(kind, type)
    if version is None or version == "latest":
        return next(iter(regs.values()))
    if version not in regs:
        raise UnknownConnectorError(
            f"unknown version {version!r} of {kind} {type!r}; known versions: {', '.join(regs)}"
        )
    return regs[version]


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def connector_class(kind: str, type: str, version: str | None = None) -> builtins.type[Any]:
    return cast(builtins.type[Any], _load(_registration(kind, type, version).impl))


def config_model(kind: str, type: str, version: str | None = None) -> builtins.type[BaseModel]:
    """The connector's pydantic config model, importing its config.py and nothing else."""
    reg = _registration(kind, type, version)
    if reg.config is None:
        return cast(builtins.type[BaseModel], _load(reg.impl).config_model)
    return cast(builtins.type[BaseModel], _load(reg.config))


def get_source(type: str, version: str | None = None) -> Source:
    """A ready Source instance of that type and version (None: newest)."""
    return cast("Source", connector_class("source", type, version)())


def get_destination(type: str, version: str | None = None) -> Destination:
    """A ready Destination instance of that type and version (None: newest)."""
    return cast("Destination", connector_class("destination", type, version)())
