"""Bring a driver's record batch to a stream's declared Arrow schema, column by column."""

from __future__ import annotations

import pyarrow as pa

from connectors.errors import ConnectorError


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Unwrap extension types (ADBC's json, opaque numeric) and cast to the declared types.

    Casts are vectorised and exact (text -> decimal fails rather than rounds), so a value that
    does not fit is an error naming the column, never silent loss.
    """
    arrays = []
    for field, array in zip(schema, batch.columns, strict=True):
        if isinstance(array, pa.ExtensionArray):
            array = array.storage
        if array.type != field.type:
            try:
                array = _cast(array, field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ConnectorError(
                    f"column {field.name!r}: cannot read {array.type} as {field.type}: {exc}"
                ) from exc
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _cast(array: pa.Array, target: pa.DataType) -> pa.Array:
    if pa.types.is_string(array.type):
        # Arrow parses text to these only through an intermediate type.
        if pa.types.is_duration(target):
            array = array.cast(pa.int64())
        elif pa.types.is_timestamp(target) and target.tz is not None:
            array = array.cast(pa.timestamp(target.unit))
    return array.cast(target)
