"""MySQL/MariaDB column types -> Arrow types, and the SQL that reads the awkward ones losslessly."""

from __future__ import annotations

import logging

import pyarrow as pa

log = logging.getLogger(__name__)

_INTS = {
    "tinyint": (pa.int8(), pa.uint8()),
    "smallint": (pa.int16(), pa.uint16()),
    "mediumint": (pa.int32(), pa.uint32()),
    "int": (pa.int32(), pa.uint32()),
    "integer": (pa.int32(), pa.uint32()),
    "bigint": (pa.int64(), pa.uint64()),
}
_SIMPLE: dict[str, pa.DataType] = {
    "float": pa.float32(),
    "double": pa.float64(),
    "real": pa.float64(),
    "year": pa.int16(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    # Sessions run with time_zone '+00:00', so TIMESTAMP values arrive in UTC.
    "timestamp": pa.timestamp("us", tz="UTC"),
}
_TEXT = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json"}
_BINARY = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
_SPATIAL = {
    "geometry",
    "point",
    "linestring",
    "polygon",
    "multipoint",
    "multilinestring",
    "multipolygon",
    "geometrycollection",
}
_AS_TEXT = {"uuid", "inet4", "inet6"}  # MariaDB types whose text form is the value


def arrow_type(
    column: str,
    quoted: str,
    data_type: str,
    column_type: str,
    precision: int | None,
    scale: int | None,
    where: str,
) -> tuple[pa.DataType, str | None]:
    """The Arrow type and, when the raw text protocol value will not do, the SQL to read it."""
    data_type = data_type.lower()
    unsigned = "unsigned" in column_type.lower()
    if data_type in _INTS:
        return _INTS[data_type][unsigned], None
    if data_type in ("decimal", "numeric"):
        p, s = int(precision or 10), int(scale or 0)
        return (pa.decimal128(p, s) if p <= 38 else pa.decimal256(p, s)), None
    if data_type in _SIMPLE:
        return _SIMPLE[data_type], None
    if data_type in _TEXT:
        return pa.string(), None
    if data_type in _BINARY:
        return pa.binary(), None
    if data_type == "bit":  # BIT(n <= 64): its unsigned value, not the raw bytes
        return pa.uint64(), f"CAST({quoted} AS UNSIGNED)"
    if data_type == "time":  # -838:59:59.999999 .. 838:59:59.999999 is a duration, not a time
        return pa.duration("us"), f"CAST(ROUND(TIME_TO_SEC({quoted}) * 1000000) AS SIGNED)"
    if data_type in _SPATIAL:
        log.warning("%s.%s: spatial type %s read as WKT text", where, column, column_type)
        return pa.string(), f"ST_AsText({quoted})"
    if data_type not in _AS_TEXT:
        log.warning("%s.%s: type %s has no Arrow mapping; read as text", where, column, column_type)
    return pa.string(), f"CAST({quoted} AS CHAR)"
