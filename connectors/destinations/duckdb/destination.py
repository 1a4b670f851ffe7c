"""The duckdb destination: Arrow batches registered with DuckDB, one table per stream.

Writes run in one transaction that each checkpoint commits. A full refresh loads a staging
table and swaps it for the real one in a single transaction at commit. An incremental
stream with a primary key upserts with `INSERT OR REPLACE`, which a resumed run may repeat
harmlessly. One without appends, and exactly once: each checkpoint's rows go to a chunk
table of their own, committed but not in the stream's table (`stage`); the runner commits
the state naming it, then `publish` moves its rows in and drops it in one transaction (a
chunk already gone was published). A chunk no committed state names (the run died between
the two commits) is dropped when the stream is next written, and its rows read again.
With an `encryption_key`, every connection opens the file attached with that key.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from connectors.base import CheckResult, ConfiguredStream, SyncMode
from connectors.destinations.duckdb.config import DuckDBConfig
from connectors.errors import ConfigError, ConnectorError, TransientError
from connectors.logging import mask, register_secret

if TYPE_CHECKING:
    import duckdb

_BATCH = "_olake_batch"
_CHUNK = "_olake_chunk_"
_ALIAS = "olake"  # the catalog an encrypted file is attached as
# DuckDB writes encrypted files only with OpenSSL, which its httpfs extension brings; set to 1,
# it uses its built-in mbedTLS instead, whose nonces do not come from a secure random source.
UNSAFE_CRYPTO_ENV = "OLAKE_DUCKDB_FORCE_MBEDTLS_UNSAFE"
_SALT = os.urandom(16)  # names this process's shared instances; never leaves the process
_attach_lock = threading.Lock()
_warned_unsafe = threading.Event()
log = logging.getLogger(__name__)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_of(config: DuckDBConfig, stream: ConfiguredStream) -> tuple[str, str]:
    """(schema, table): an explicit `table_name` in the config wins over the stream's names."""
    return config.schema_name or stream.namespace or "main", config.table_name or stream.table_name


def chunks_of(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    """The chunk tables of a stream's table (see the module's docstring)."""
    pattern = re.compile(re.escape(f"{_CHUNK}{table}_") + "[0-9a-f]{12}")
    names = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
    ).fetchall()
    return [name for (name,) in names if pattern.fullmatch(name)]


def move_chunk(con: duckdb.DuckDBPyConnection, chunk: str, target: str) -> None:
    """Append a chunk table's rows to `target` and drop it (qualified, quoted names), in the
    caller's transaction."""
    con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {chunk}")
    con.execute(f"DROP TABLE {chunk}")


def connect(config: DuckDBConfig) -> duckdb.DuckDBPyConnection:
    """A connection to the config's file, attached with its `encryption_key` when it has one.

    Connections to one encrypted file share one in-memory DuckDB instance, as those of
    `duckdb.connect(path)` do: DuckDB lets only one instance open a file, and parallel streams
    write to the same file. The instance's name tells files and keys apart without the key.
    """
    import duckdb

    key = config.encryption_key
    if not key:
        return duckdb.connect(config.db_path)
    register_secret(key)  # whatever DuckDB says, no log line or error message shows the key
    path = os.path.abspath(config.db_path)
    name = hashlib.sha256(_SALT + f"{path}\0{key}".encode()).hexdigest()[:32]
    con = duckdb.connect(f":memory:olake_{name}")
    try:
        with _attach_lock:  # two streams may open the file at once; one attach is enough
            if os.environ.get(UNSAFE_CRYPTO_ENV) == "1":
                if not _warned_unsafe.is_set():
                    _warned_unsafe.set()
                    log.warning(
                        "%s=1: DuckDB encrypts with mbedTLS, not OpenSSL", UNSAFE_CRYPTO_ENV
                    )
                con.execute("SET force_mbedtls_unsafe = true")
            # Bound values: neither the path nor the key is ever part of the SQL text.
            con.execute(f"ATTACH IF NOT EXISTS ? AS {_ALIAS} (ENCRYPTION_KEY ?)", [path, key])
        con.execute(f"USE {_ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def _encryption_error(message: str) -> str | None:
    """What to tell the user when DuckDB refused a key, or the lack of one; None otherwise."""
    if "read-only crypto module" in message:
        return (
            "cannot write an encrypted DuckDB file: DuckDB needs its httpfs extension (OpenSSL)"
            " for that; install it where the connectors run (see docs/connectors.md)"
        )
    if "Wrong encryption key" in message:
        return "wrong encryption_key: it does not open this DuckDB file"
    if "Cannot open encrypted database" in message:
        return "the DuckDB file is encrypted: set its encryption_key"
    if "key is explicitly specified" in message and "not encrypted" in message:
        return "the DuckDB file is not encrypted: remove encryption_key, or use a new file"
    return None


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
        if not self.replace:
            # The runner published what the committed state names before opening this writer:
            # any chunk left is one no state names.
            for chunk in chunks_of(self.con, self.schema_name, self.table):
                self.con.execute(f"DROP TABLE IF EXISTS {self._qualified(chunk)}")
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
        # Appends go through chunk tables (see the module's docstring and `stage`).
        self.chunked = not self.replace and not self.upsert
        self.chunk = ""  # the chunk table of the rows since the last stage, once there are any

    def _qualified(self, table: str) -> str:
        return f"{quote(self.schema_name)}.{quote(table)}"

    def _exists(self, table: str) -> bool:
        found = self.con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [self.schema_name, table],
        ).fetchall()  # DuckDB wants every result drained before the next statement
        return bool(found)

    def _create(self, table: str, schema: pa.Schema, keyed: bool = True) -> None:
        self.con.register(_BATCH, schema.empty_table())
        try:
            self.con.execute(f"CREATE TABLE {self._qualified(table)} AS SELECT * FROM {_BATCH}")
        finally:
            self.con.unregister(_BATCH)
        if self.pk and keyed:
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
        target = self.target
        if self.chunked:
            if not self.chunk:
                self.chunk = f"{_CHUNK}{self.table}_{uuid.uuid4().hex[:12]}"
                self._create(self.chunk, batch.schema, keyed=False)
            target = self._qualified(self.chunk)
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
            self.con.execute(f"{verb} INTO {target} BY NAME {select}")
        finally:
            self.con.unregister(_BATCH)

    def _merge_chunk(self) -> None:
        if self.chunk:
            move_chunk(self.con, self._qualified(self.chunk), self.target)
            self.chunk = ""

    def checkpoint(self) -> None:
        self._merge_chunk()
        self.con.execute("COMMIT")
        self.con.execute("BEGIN")

    def stage(self) -> list[str]:
        """Commit the rows since the last checkpoint, not in the stream's table yet; the chunk
        table holding them, if any, for `DuckDBDestination.publish` once the runner committed
        the state naming it."""
        self.con.execute("COMMIT")
        self.con.execute("BEGIN")
        staged, self.chunk = [self.chunk] if self.chunk else [], ""
        return staged

    def commit(self) -> None:
        self._merge_chunk()  # rows after the last checkpoint: no state names them, so in now
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
        encrypted = " (encrypted)" if config.encryption_key else ""
        return CheckResult.succeeded(f"opened {config.db_path}{encrypted}")

    def open_writer(
        self, config: Any, stream: ConfiguredStream, schema: pa.Schema
    ) -> DuckDBStreamWriter:
        return DuckDBStreamWriter(config, stream, schema)

    def publish(self, config: Any, stream: ConfiguredStream, names: list[str]) -> None:
        """Move staged chunks into the stream's table, each in one transaction with its drop;
        a chunk that is gone was published already."""
        schema, table = table_of(config, stream)
        con = connect(config)
        try:
            # A name not there was published already (or is not one of ours to touch).
            for name in set(names) & set(chunks_of(con, schema, table)):
                con.execute("BEGIN")
                move_chunk(con, f"{quote(schema)}.{quote(name)}", f"{quote(schema)}.{quote(table)}")
                con.execute("COMMIT")
        finally:
            con.close()

    def clear(self, config: Any, stream: ConfiguredStream) -> None:
        schema, table = table_of(config, stream)
        con = connect(config)
        try:
            for chunk in chunks_of(con, schema, table):
                con.execute(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(chunk)}")
            con.execute(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(table)}")
        finally:
            con.close()

    def translate_error(self, exc: BaseException) -> ConnectorError:
        """The one place DuckDB errors get their kind; their text is masked of every secret."""
        import duckdb

        text = mask(str(exc))
        encryption = _encryption_error(text)
        if encryption is not None:
            return ConfigError(encryption, internal_message=f"duckdb: {text}")
        if isinstance(exc, duckdb.ResourceInUseException):
            # This process holds the file attached under another key (another job's config):
            # when that run ends, a retry opens it, or fails on a wrong key with a clear error.
            return TransientError(
                "the encrypted DuckDB file is open in this process with another encryption_key;"
                " it is retried once that run ends",
                internal_message=f"duckdb: {text}",
            )
        if isinstance(exc, duckdb.IOException):
            # Usually another process holds the file's lock, or the disk is full.
            return TransientError(f"cannot open or write the DuckDB file: {text}")
        if isinstance(exc, duckdb.PermissionException | duckdb.CatalogException):
            return ConfigError(f"duckdb: {text}")
        if isinstance(exc, duckdb.ConversionException | duckdb.ConstraintException):
            return ConfigError(f"duckdb rejected the data: {text}")
        return ConnectorError(f"duckdb: {type(exc).__name__}: {text}")
