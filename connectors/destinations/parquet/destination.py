"""The parquet destination: `<local_path>/<namespace>/<table>/` folders of Parquet files.

Files are written under a hidden temporary name (`.tmp-<uuid>.parquet`, which Parquet
readers skip) and renamed in at the next checkpoint (or commit), so a reader never sees a
partial file, nor the rows of a chunk whose state is not committed yet. An
incremental stream appends files in place; a full refresh writes into a hidden sibling
folder and swaps it with the table's folder at commit, so the old files stay readable until
the new ones are complete.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.base import CheckResult, ConfiguredStream, SyncMode
from connectors.destinations.parquet.config import ParquetConfig
from connectors.errors import ConfigError, ConnectorError, TransientError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_STALE_SECONDS = 24 * 3600  # older than any run; younger ones may belong to a live run


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where it is not available."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    return bool(renameat2(_AT_FDCWD, bytes(a), _AT_FDCWD, bytes(b), _RENAME_EXCHANGE) == 0)


def _remove_stale(folder: Path) -> None:
    """Remove what crashed runs left (a day old or more): hidden folders beside the table's,
    and hidden files in it that no committed state names (those a resume published by then)."""
    if not folder.parent.exists():
        return
    cutoff = time.time() - _STALE_SECONDS
    for pattern in (f".{folder.name}.staging-*", f".{folder.name}.old-*"):
        for leftover in folder.parent.glob(pattern):
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
    for leftover in folder.glob(".tmp-*.parquet"):
        if leftover.stat().st_mtime < cutoff:
            leftover.unlink(missing_ok=True)


def stream_folder(config: ParquetConfig, stream: ConfiguredStream) -> Path:
    return Path(config.local_path) / stream.namespace / stream.table_name


def _publish(folder: Path, names: list[str]) -> None:
    """Rename staged `.tmp-<id>.parquet` files to `part-<id>.parquet`; skip those already done."""
    moved = False
    for name in names:
        staged = folder / name
        if name.startswith(".tmp-") and staged.exists():
            os.replace(staged, folder / f"part-{name.removeprefix('.tmp-')}")
            moved = True
    if moved:
        _fsync(folder)


class ParquetStreamWriter:
    def __init__(self, config: ParquetConfig, stream: ConfiguredStream, schema: pa.Schema) -> None:
        self.config = config
        self.schema = schema
        self.folder = stream_folder(config, stream)
        self.replace = stream.sync_mode == SyncMode.FULL_REFRESH
        _remove_stale(self.folder)
        if self.replace:
            self.target = self.folder.with_name(f".{self.folder.name}.staging-{uuid.uuid4().hex}")
        else:
            self.target = self.folder
        self.target.mkdir(parents=True, exist_ok=True)
        self._file: pq.ParquetWriter | None = None
        self._tmp: Path | None = None
        self._closed: list[Path] = []  # complete files that wait, hidden, for a checkpoint
        self._rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if self._file is None:
            # Published as part-<the same id>: time first, so names sort in writing order.
            self._tmp = self.target / f".tmp-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
            compression = None if self.config.compression == "none" else self.config.compression
            self._file = pq.ParquetWriter(
                self._tmp,
                self.schema,
                compression=compression,
                use_dictionary=self.config.use_dictionary,
            )
            self._rows = 0
        self._file.write_batch(batch, row_group_size=self.config.row_group_size)
        self._rows += batch.num_rows
        if self._rows >= self.config.max_file_rows:
            self._close_file()

    def _close_file(self) -> None:
        if self._file is None or self._tmp is None:
            return
        self._file.close()
        _fsync(self._tmp)
        self._closed.append(self._tmp)
        self._file, self._tmp = None, None

    def stage(self) -> list[str]:
        """Close the open file; the names of every closed, still hidden, file (see `publish`).

        A file closed because it reached max_file_rows mid-chunk stays hidden until the next
        checkpoint, or a resumed run would read that chunk again beside its visible rows.
        """
        self._close_file()
        names = [tmp.name for tmp in self._closed]
        self._closed = []
        return names

    def _publish(self) -> None:
        _publish(self.target, self.stage())

    def checkpoint(self) -> None:
        self._publish()

    def commit(self) -> None:
        self._publish()
        if not self.replace:
            return
        if not self.folder.exists():
            os.replace(self.target, self.folder)
        elif _exchange(self.target, self.folder):
            shutil.rmtree(self.target)  # now holds the old files
        else:
            # Two renames: a reader may briefly find no folder, but never a mix of old and new.
            old = self.folder.with_name(f".{self.folder.name}.old-{uuid.uuid4().hex}")
            os.replace(self.folder, old)
            os.replace(self.target, self.folder)
            shutil.rmtree(old)
        _fsync(self.folder.parent)

    def abort(self) -> None:
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
        for tmp in [*self._closed, *([self._tmp] if self._tmp is not None else [])]:
            tmp.unlink(missing_ok=True)
        self._file, self._tmp, self._closed = None, None, []
        if self.replace:
            shutil.rmtree(self.target, ignore_errors=True)


class ParquetDestination:
    type: ClassVar[str] = "parquet"
    version: ClassVar[str] = "v0.1.0"
    config_model = ParquetConfig

    def check(self, config: Any) -> CheckResult:
        root = Path(config.local_path)
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
        return CheckResult.succeeded(f"can write to {root}")

    def open_writer(
        self, config: Any, stream: ConfiguredStream, schema: pa.Schema
    ) -> ParquetStreamWriter:
        return ParquetStreamWriter(config, stream, schema)

    def publish(self, config: Any, stream: ConfiguredStream, names: list[str]) -> None:
        """Make staged files visible (an incremental stream's; see StreamWriter in base.py)."""
        _publish(stream_folder(config, stream), names)

    def clear(self, config: Any, stream: ConfiguredStream) -> None:
        shutil.rmtree(stream_folder(config, stream), ignore_errors=True)

    def translate_error(self, exc: BaseException) -> ConnectorError:
        """The one place file-system errors get their kind."""
        if isinstance(exc, PermissionError | NotADirectoryError | FileExistsError):
            return ConfigError(f"local_path is not writable: {exc.filename}: {exc.strerror}")
        if isinstance(exc, OSError):
            return TransientError(f"cannot write Parquet files: {exc}")
        return ConnectorError(f"parquet: {type(exc).__name__}: {exc}")
