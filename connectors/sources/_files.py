"""What the csv and parquet sources share: finding files, one stream, mtime or cursor increments.

Incremental reads come in two kinds. Without a cursor column, state is `{"mtime": <ns>}`:
files modified after it are read, oldest first, with a checkpoint after each mtime group.
With a cursor column, state is `{<column>: <max value>}` and rows above it are read; the
checkpoint comes at the end because files are not ordered by that column.
"""

from __future__ import annotations

import datetime as dt
import decimal
import glob
import re
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from connectors.base import (
    Checkpoint,
    CheckResult,
    ConfiguredStream,
    DiscoveredStream,
    ReadItem,
    SyncMode,
)
from connectors.errors import ConfigError, ConnectorError, TransientError
from connectors.sources._files_config import FilesConfig

MTIME = "mtime"
_GLOB_CHARS = re.compile(r"[*?\[\]]")


def find_files(path: str, suffixes: tuple[str, ...]) -> list[Path]:
    """The files a `path` means, sorted by (mtime, name); ConfigError if there are none."""
    if _GLOB_CHARS.search(path):
        found = [Path(p) for p in glob.glob(path, recursive=True) if Path(p).is_file()]
    elif Path(path).is_dir():
        found = [
            p
            for p in Path(path).rglob("*")
            if p.is_file()
            and p.name.lower().endswith(suffixes)
            and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        ]
    elif Path(path).is_file():
        found = [Path(path)]
    else:
        raise ConfigError(f"path '{path}' does not exist")
    if not found:
        raise ConfigError(f"no {'/'.join(suffixes)} file matches path '{path}'")
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, str(p)))


def stream_name(config: FilesConfig) -> str:
    if config.stream_name:
        return config.stream_name
    path = Path(config.path)
    if _GLOB_CHARS.search(config.path):
        stem = _GLOB_CHARS.sub("", path.name.split(".")[0]).strip("_-. ")
        name = stem or path.parent.name
    else:
        name = path.name if path.is_dir() else path.name.split(".")[0]
    return re.sub(r"\W+", "_", name).strip("_") or "stream"


def to_state_value(value: Any) -> Any:
    """A cursor value in a form JSON keeps (dates and times as ISO strings)."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | bytes):
        return str(value)
    return value


def from_state_value(value: Any, type: pa.DataType) -> pa.Scalar:
    if pa.types.is_timestamp(type):
        parsed = dt.datetime.fromisoformat(value)
        if type.tz is None and parsed.tzinfo is not None:
            parsed = parsed.replace(tzinfo=None)
        return pa.scalar(parsed, type=type)
    if pa.types.is_date(type):
        return pa.scalar(dt.date.fromisoformat(value), type=type)
    if pa.types.is_decimal(type):
        return pa.scalar(decimal.Decimal(value), type=type)
    return pa.scalar(value, type=type)


def _orderable(type: pa.DataType) -> bool:
    return (
        pa.types.is_integer(type)
        or pa.types.is_floating(type)
        or pa.types.is_decimal(type)
        or pa.types.is_temporal(type)
        or pa.types.is_string(type)
    )


class FileSource:
    """A source over files pyarrow.dataset can read; subclasses give the format."""

    type: ClassVar[str]
    version: ClassVar[str] = "v0.1.0"
    suffixes: ClassVar[tuple[str, ...]]

    def file_format(self, config: Any) -> ds.FileFormat:
        raise NotImplementedError

    def _dataset(
        self, config: Any, files: list[Path], schema: pa.Schema | None = None
    ) -> ds.Dataset:
        return ds.dataset([str(f) for f in files], format=self.file_format(config), schema=schema)

    def check(self, config: Any) -> CheckResult:
        files = find_files(config.path, self.suffixes)
        schema = self._dataset(config, files[:1]).schema
        if not schema.names:
            return CheckResult.failed(f"'{files[0]}' has no columns")
        return CheckResult.succeeded(f"{len(files)} file(s), {len(schema)} column(s)")

    def discover(self, config: Any) -> list[DiscoveredStream]:
        files = find_files(config.path, self.suffixes)
        schema = self._dataset(config, files).schema
        missing = [c for c in config.primary_key if c not in schema.names]
        if missing:
            raise ConfigError(f"primary key column(s) {missing} not in {config.path}")
        return [
            DiscoveredStream(
                name=stream_name(config),
                namespace=config.namespace,
                schema=schema,
                primary_key=list(config.primary_key),
                cursor_fields=[f.name for f in schema if _orderable(f.type)],
                sync_modes=[SyncMode.FULL_REFRESH, SyncMode.INCREMENTAL],
            )
        ]

    def read(
        self, config: Any, stream: ConfiguredStream, state: dict[str, Any] | None
    ) -> Iterator[ReadItem]:
        files = find_files(config.path, self.suffixes)
        schema = self._dataset(config, files).schema
        columns = list(stream.columns) if stream.columns else None
        incremental = stream.sync_mode == SyncMode.INCREMENTAL
        if incremental and stream.cursor_field:
            yield from self._read_by_cursor(
                config, files, schema, columns, stream.cursor_field, state
            )
        elif incremental:
            yield from self._read_by_mtime(config, files, schema, columns, state)
        else:
            yield from self._batches(self._dataset(config, files, schema), config, columns)

    def _batches(
        self, dataset: ds.Dataset, config: Any, columns: list[str] | None, filter: Any = None
    ) -> Iterator[pa.RecordBatch]:
        scanner = dataset.scanner(columns=columns, filter=filter, batch_size=config.batch_size)
        for b in scanner.to_batches():
            if b.num_rows:
                yield b

    def _read_by_mtime(
        self,
        config: Any,
        files: list[Path],
        schema: pa.Schema,
        columns: list[str] | None,
        state: dict[str, Any] | None,
    ) -> Iterator[ReadItem]:
        since = int((state or {}).get(MTIME, -1))
        fresh = [(f.stat().st_mtime_ns, f) for f in files if f.stat().st_mtime_ns > since]
        for mtime, group in groupby(fresh, key=lambda pair: pair[0]):
            dataset = self._dataset(config, [f for _, f in group], schema)
            yield from self._batches(dataset, config, columns)
            yield Checkpoint({MTIME: mtime})
        if not fresh:
            yield Checkpoint({MTIME: since} if since >= 0 else dict(state or {}))

    def _read_by_cursor(
        self,
        config: Any,
        files: list[Path],
        schema: pa.Schema,
        columns: list[str] | None,
        cursor: str,
        state: dict[str, Any] | None,
    ) -> Iterator[ReadItem]:
        if cursor not in schema.names:
            raise ConfigError(f"cursor field '{cursor}' is not a column of {config.path}")
        type = schema.field(cursor).type
        filter = None
        high: Any = None
        if state and state.get(cursor) is not None:
            high = from_state_value(state[cursor], type)
            filter = ds.field(cursor) > high
        wanted = columns + [cursor] if columns and cursor not in columns else columns
        for b in self._batches(self._dataset(config, files, schema), config, wanted, filter):
            top = pc.max(b.column(cursor))
            if top.is_valid and (high is None or pc.greater(top, high).as_py()):
                high = top
            yield b
        value = to_state_value(high.as_py()) if high is not None else None
        yield Checkpoint({cursor: value} if value is not None else dict(state or {}))

    def translate_error(self, exc: BaseException) -> ConnectorError:
        """The one place file and Arrow errors get their kind."""
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
            return ConfigError(f"cannot read {exc.filename or 'file'}: {exc.strerror}")
        if isinstance(exc, pa.ArrowInvalid | pa.ArrowTypeError):
            return ConfigError(f"cannot parse {self.type} data: {exc}")
        if isinstance(exc, OSError):
            return TransientError(f"I/O error: {exc}")
        return ConnectorError(f"{self.type}: {type(exc).__name__}: {exc}")
