"""The duckdb destination: Arrow batches registered with DuckDB, one table per stream.

Writes run in one transaction that each checkpoint commits. A full refresh loads a staging
table and swaps it for the real one in a single transaction at commit; an incremental
stream appends, or upserts with `INSERT OR REPLACE` when the stream has a primary key.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from connectors.base import CheckResult, ConfiguredStream, SyncMode
from connectors.destinations.duckdb.config import DuckDBConfig
from connectors.errors import ConfigError, ConnectorError, TransientError

if TYPE_CHECKING:
    import duckdb

_BATCH = "_olake_batch"
log = logging.getLogger(__name__)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_of(config: DuckDBConfig, stream: ConfiguredStream) -> tuple[str, str]:
    """(schema, table): an explicit `table_name` in the config wins over the stream's names."""
    return config.schema_name or stream.namespace or "main", config.table_name or stream.table_name


def connect(config: DuckDBConfig) -> duckdb.DuckDBPyConnection:
    import duckdb

    return duckdb.connect(config.db_path)


class DuckDBStreamWriter:
    def __init__(self, config: DuckDBConfig, stream: ConfiguredStream, schema: pa.Schema) -> None:
        self.con = connect(config)
        self.schema_name, self.table = table_of(config, stream)
        self.replace = stream.sync_mode == SyncMode.FULL_REFRESH
        self.staging = ""
        self.pk = [c for c in stream.primary_key if c in schema.names]
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self.schema_name)}")
        if not self.replace and self.pk and self._exists(self.table):
            self._ensure_primary_key()
        self.con.execute("BEGIN")
        if self.replace:
            self.staging = f"_olake_staging_{self.table}_{uuid.uuid4().hex[:8]}"
            self._create(self.staging, schema)
            self.target = self._qualified(self.staging)
        else:
            self.target = self._qualified(self.table)
            if self._exists(self.table):
                self._add_missing_columns(schema)
            else:
                self._create(self.table, schema)
        self.upsert = bool(self.pk) and self._has_primary_key()

    def _qualified(self, table: str) -> str:
        return f"{quote(self.schema_name)}.{quote(table)}"

    def _exists(self, table: str) -> bool:
        found = self.con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [self.schema_name, table],
        ).fetchall()  # DuckDB wants every result drained before the next statement
        return bool(found)

    def _create(self, table: str, schema: pa.Schema) -> None:
        self.con.register(_BATCH, schema.empty_table())
        try:
            self.con.execute(f"CREATE TABLE {self._qualified(table)} AS SELECT * FROM {_BATCH}")
        finally:
            self.con.unregister(_BATCH)
        if self.pk:
            columns = ", ".join(quote(c) for c in self.pk)
            self.con.execute(f"ALTER TABLE {self._qualified(table)} ADD PRIMARY KEY ({columns})")

    def _add_missing_columns(self, schema: pa.Schema) -> None:
        existing = {row[0] for row in self.con.execute(f"DESCRIBE {self.target}").fetchall()}
        self.con.register(_BATCH, schema.empty_table())
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {_BATCH}").fetchall()
        finally:
            self.con.unregister(_BATCH)
        for name, sql_type, *_ in described:
            if name not in existing:
                self.con.execute(f"ALTER TABLE {self.target} ADD COLUMN {quote(name)} {sql_type}")

    def _ensure_primary_key(self) -> None:
        # Outside the write transaction: a failed ALTER would poison it.
        import duckdb

        if self._has_primary_key():
            return
        columns = ", ".join(quote(c) for c in self.pk)
        try:
            self.con.execute(
                f"ALTER TABLE {self._qualified(self.table)} ADD PRIMARY KEY ({columns})"
            )
        except duckdb.Error as exc:  # duplicates already there: append, as before
            log.warning("cannot add primary key to %s, appending: %s", self.table, exc)

    def _has_primary_key(self) -> bool:
        table = self.staging if self.replace else self.table
        found = self.con.execute(
            "SELECT 1 FROM duckdb_constraints() WHERE schema_name = ? AND table_name = ?"
            " AND constraint_type = 'PRIMARY KEY'",
            [self.schema_name, table],
        ).fetchall()  # DuckDB wants every result drained before the next statement
        return bool(found)

    def write(self, batch: pa.RecordBatch) -> None:
        self.con.register(_BATCH, pa.Table.from_batches([batch]))
        try:
            verb = "INSERT OR REPLACE" if self.upsert else "INSERT"
            select = f"SELECT * FROM {_BATCH}"
            if self.upsert:
                # One statement may not touch a key twice: keep the last row of each key.
                keys = ", ".join(quote(c) for c in self.pk)
                select = (
                    f"SELECT * EXCLUDE (_olake_row) FROM (SELECT *, row_number() OVER () AS"
                    f" _olake_row FROM {_BATCH}) QUALIFY _olake_row = max(_olake_row)"
                    f" OVER (PARTITION BY {keys})"
                )
            self.con.execute(f"{verb} INTO {self.target} BY NAME {select}")
        finally:
            self.con.unregister(_BATCH)

    def checkpoint(self) -> None:
        self.con.execute("COMMIT")
        self.con.execute("BEGIN")

    def commit(self) -> None:
        if self.replace:
            self.con.execute(f"DROP TABLE IF EXISTS {self._qualified(self.table)}")
            self.con.execute(f"ALTER TABLE {self.target} RENAME TO {quote(self.table)}")
        self.con.execute("COMMIT")
        self.con.close()

    def abort(self) -> None:
        try:
            self.con.execute("ROLLBACK")
            if self.replace:  # checkpoints may have committed the staging table
                self.con.execute(f"DROP TABLE IF EXISTS {self.target}")
        finally:
            self.con.close()


class DuckDBDestination:
    type: ClassVar[str] = "duckdb"
    version: ClassVar[str] = "v0.1.0"
    config_model = DuckDBConfig

    def check(self, config: Any) -> CheckResult:
        con = connect(config)
        try:
            con.execute("SELECT 1").fetchall()
        finally:
            con.close()
        return CheckResult.succeeded(f"opened {config.db_path}")

    def open_writer(
        self, config: Any, stream: ConfiguredStream, schema: pa.Schema
    ) -> DuckDBStreamWriter:
        return DuckDBStreamWriter(config, stream, schema)

    def clear(self, config: Any, stream: ConfiguredStream) -> None:
        schema, table = table_of(config, stream)
        con = connect(config)
        try:
            con.execute(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(table)}")
        finally:
            con.close()

    def translate_error(self, exc: BaseException) -> ConnectorError:
        """The one place DuckDB errors get their kind."""
        import duckdb

        if isinstance(exc, duckdb.IOException):
            # Usually another process holds the file's lock, or the disk is full.
            return TransientError(f"cannot open or write the DuckDB file: {exc}")
        if isinstance(exc, duckdb.PermissionException | duckdb.CatalogException):
            return ConfigError(f"duckdb: {exc}")
        if isinstance(exc, duckdb.ConversionException | duckdb.ConstraintException):
            return ConfigError(f"duckdb rejected the data: {exc}")
        return ConnectorError(f"duckdb: {type(exc).__name__}: {exc}")
