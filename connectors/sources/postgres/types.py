"""Postgres column types -> Arrow types, and the SQL cast for those ADBC cannot read natively."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pyarrow as pa

log = logging.getLogger(__name__)

# Types ADBC's binary COPY reader decodes straight into these Arrow types.
NATIVE: dict[str, pa.DataType] = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "time": pa.time64("us"),
    "interval": pa.month_day_nano_interval(),
    "bytea": pa.binary(),
    "json": pa.string(),  # ADBC: arrow.json over string; we keep the string storage
    "jsonb": pa.string(),
}
# Read through `::text`: their text form is their canonical value, so nothing is lost.
AS_TEXT = {
    "uuid",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "xml",
    "timetz",
    "bit",
    "varbit",
    "citext",
}


@dataclass(frozen=True)
class PgType:
    """One column's type as the catalog describes it (domains already resolved to their base)."""

    name: str  # pg_type.typname of the base type
    sql: str  # format_type(base, typmod): what values are cast to
    typtype: str  # b base, e enum, d domain (resolved), c composite, r range, ...
    typmod: int
    element: str | None = None  # arrays: the element's typname
    element_typtype: str | None = None
    is_domain: bool = False
    dims: int = 0  # pg_attribute.attndims: dimensions an array column was declared with


def numeric_type(typmod: int) -> pa.DataType | None:
    """decimal128/256 for numeric(p, s); None when the precision is unbounded."""
    if typmod < 4:
        return None
    precision = ((typmod - 4) >> 16) & 0xFFFF
    scale = (typmod - 4) & 0x7FF
    if scale > 1023:  # Postgres 15 allows a negative scale: numeric(5, -2) rounds to hundreds
        scale -= 2048
    if scale < 0:
        precision, scale = precision - scale, 0
    if precision <= 38:
        return pa.decimal128(precision, scale)
    if precision <= 76:
        return pa.decimal256(precision, scale)
    return None


def arrow_type(column: str, t: PgType, where: str) -> tuple[pa.DataType, str | None]:
    """The column's Arrow type and, when ADBC cannot read it as is, the SQL cast to apply."""
    cast = f"::{t.sql}" if t.is_domain else None  # ADBC knows base types only
    if t.element is not None:
        if t.dims > 1:  # ADBC would flatten the dimensions: keep them in the text form
            log.warning("%s.%s: %d-dimensional array read as text", where, column, t.dims)
            return pa.string(), "::text"
        # `[:]` renumbers from 1: ADBC rejects other lower bounds ('[2:3]={5,6}').
        inner = NATIVE.get(t.element)
        if inner is not None and t.element not in ("json", "jsonb"):
            return pa.list_(inner), f"[:]{cast or ''}"
        if t.element not in AS_TEXT and t.element != "numeric" and t.element_typtype != "e":
            log.warning("%s.%s: array of %s read as text[]", where, column, t.element)
        return pa.list_(pa.string()), "[:]::text[]"
    if t.name in NATIVE:
        return NATIVE[t.name], cast
    if t.name == "numeric":
        exact = numeric_type(t.typmod)
        if exact is None:
            log.info(
                "%s.%s: numeric without precision read as string to keep every digit", where, column
            )
            return pa.string(), cast
        # ADBC's binary numeric decoder costs 3x the server's text form plus Arrow's cast.
        return exact, f"{cast or ''}::text"
    if t.name == "money":  # the locale decides its scale: its numeric text keeps every digit
        log.info("%s.%s: money read as a numeric string", where, column)
        return pa.string(), "::numeric::text"
    if t.name == "oid":  # unsigned 32-bit: int32 would wrap
        return pa.int64(), "::int8"
    if t.typtype == "e" or t.name in AS_TEXT:
        return pa.string(), "::text"
    log.warning("%s.%s: type %s has no Arrow mapping; read as text", where, column, t.sql)
    return pa.string(), "::text"
