"""What a SQL source knows of a table: its columns as Arrow fields, its key, its size."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from connectors.errors import ConfigError


@dataclass(frozen=True)
class Column:
    name: str
    db_type: str  # the type as the database spells it, used to cast bound values
    arrow_type: pa.DataType
    nullable: bool = True
    select: str | None = None  # SQL that reads it when the bare column will not do (a cast)

    @property
    def field(self) -> pa.Field:
        return pa.field(self.name, self.arrow_type, nullable=self.nullable)


@dataclass
class Table:
    namespace: str
    name: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    estimated_rows: int = -1  # -1: unknown
    is_view: bool = False

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise ConfigError(f"column {name!r} not found in {self.namespace}.{self.name}")

    def cursor_candidates(self) -> list[str]:
        t = pa.types
        return [
            c.name
            for c in self.columns
            if t.is_integer(c.arrow_type)
            or t.is_decimal(c.arrow_type)
            or t.is_floating(c.arrow_type)
            or t.is_date(c.arrow_type)
            or t.is_timestamp(c.arrow_type)
        ]


def jsonable(value: Any) -> Any:
    """A key or cursor value as JSON keeps it exactly: text for anything JSON has no type for."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    return str(value)
