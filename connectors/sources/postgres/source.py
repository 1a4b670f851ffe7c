"""PostgreSQL source: psycopg for the catalog, ADBC binary COPY for the data, in parallel chunks."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import pyarrow as pa

from connectors.errors import ConfigError, ConnectorError, TransientError
from connectors.sources._arrow import conform
from connectors.sources._sql import Chunk, Reader, SQLSource
from connectors.sources._sql_table import Column, Table
from connectors.sources.postgres.config import PostgresConfig
from connectors.sources.postgres.types import PgType, arrow_type

_COLUMNS = """
SELECT n.nspname, c.relname, c.relkind, c.reltuples::bigint, a.attname, a.attnotnull,
       b.typname, format_type(b.oid, m.typmod), b.typtype, m.typmod, e.typname, e.typtype,
       t.typtype = 'd', a.attndims
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
CROSS JOIN LATERAL (
  SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS oid,
         CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod) m
JOIN pg_type b ON b.oid = m.oid
LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typcategory = 'A'
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname = ANY(%s) AND (%s::text IS NULL OR c.relname = %s)
  AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname, c.relname, a.attnum
"""
_KEYS = """
SELECT n.nspname, c.relname, a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE i.indisprimary AND n.nspname = ANY(%s) AND (%s::text IS NULL OR c.relname = %s)
ORDER BY n.nspname, c.relname, k.ord
"""
_RETRYABLE_CLASSES = ("08", "53", "57", "40")  # connection, resources, operator, rollback
# ADBC reports a lost connection as a bare OSError with libpq's text and no SQLSTATE (the
# server's FATAL for pg_terminate_backend, a restart or a failover), psycopg often too.
_CONNECTION_LOST = (
    "terminating connection",
    "server closed the connection",
    "connection to server was lost",
    "could not receive data from server",
    "could not send data to server",
    "no connection to the server",
    "the connection is lost",
    "ssl connection has been closed unexpectedly",
    "the database system is shutting down",
    "the database system is starting up",
)


def conninfo(config: PostgresConfig) -> str:
    """A libpq conninfo string; psycopg escapes every value, and ADBC takes the same string."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "dbname": config.database,
        "user": config.username,
        "connect_timeout": config.connect_timeout,
        "sslmode": config.ssl.mode,
        "application_name": "prefect-olake",
        "options": "-c TimeZone=UTC",
    }
    if config.password:
        params["password"] = config.password
    for key, value in (
        ("sslrootcert", config.ssl.server_ca),
        ("sslcert", config.ssl.client_cert),
        ("sslkey", config.ssl.client_key),
    ):
        if value:
            params[key] = value
    return make_conninfo(**params)


class PostgresSource(SQLSource):
    """Reads tables and views of the configured schemas."""

    type = "postgres"
    config_model = PostgresConfig

    def connect(self, config: PostgresConfig) -> Any:
        import psycopg

        return psycopg.connect(conninfo(config), autocommit=True)

    def translate_error(self, exc: BaseException) -> ConnectorError:
        """The one place psycopg and ADBC errors become config or transient errors."""
        if isinstance(exc, ConnectorError):
            return exc
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        state = getattr(exc, "sqlstate", None) or ""
        low = text.lower()
        if state == "28P01" or "password authentication failed" in low:
            return ConfigError(
                "authentication failed: wrong username or password", internal_message=text
            )
        if state == "3D000" or ("database" in low and "does not exist" in low):
            return ConfigError(f"unknown database: {first}", internal_message=text)
        if state.startswith("28") or "role" in low and "does not exist" in low:
            return ConfigError(f"access refused: {first}", internal_message=text)
        if "could not translate host name" in low:
            return ConfigError(f"unknown host: {first}", internal_message=text)
        if "timeout expired" in low or "timed out" in low:
            return TransientError(
                f"host unreachable (connect timeout): {first}", internal_message=text
            )
        if "connection refused" in low or "could not connect" in low or "no route to host" in low:
            return TransientError(f"host unreachable: {first}", internal_message=text)
        if state.startswith("42") or state.startswith("22"):
            return ConfigError(f"query refused: {first}", internal_message=text)
        if state.startswith(_RETRYABLE_CLASSES) or any(t in low for t in _CONNECTION_LOST):
            return TransientError(f"connection lost: {first}", internal_message=text)
        return ConnectorError(f"postgres: {type(exc).__name__}: {first}", internal_message=text)

    def quote(self, name: str) -> str:
        # Doubled quotes make any name an identifier; doubled % survive the driver's binding.
        return '"' + name.replace('"', '""').replace("%", "%%") + '"'

    def placeholder(self, column: Column) -> str:
        return f"%s::{column.db_type.replace('%', '%%')}"

    def render(self, conn: Any, query: str, params: Any) -> str:
        import psycopg

        return psycopg.ClientCursor(conn).mogrify(query, tuple(params))

    def probe(self, conn: Any, config: PostgresConfig) -> None:
        found = {
            r[0]
            for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (config.schemas,)
            )
        }
        missing = [s for s in config.schemas if s not in found]
        if missing:
            raise ConfigError(f"schemas not found in database {config.database!r}: {missing}")

    def list_tables(
        self, conn: Any, config: PostgresConfig, only: tuple[str, str] | None = None
    ) -> list[Table]:
        schemas = [only[0]] if only else config.schemas
        name = only[1] if only else None
        tables: dict[tuple[str, str], Table] = {}
        for row in conn.execute(_COLUMNS, (schemas, name, name)):
            ns, rel, kind, est, col, notnull, typ, sql, typtype, typmod, el, el_type, dom, dims = (
                row
            )
            table = tables.get((ns, rel))
            if table is None:
                table = tables[(ns, rel)] = Table(ns, rel, [], [], int(est), kind in ("v", "f"))
            pg = PgType(typ, sql, typtype, typmod, el, el_type, bool(dom), int(dims or 0))
            arrow, cast = arrow_type(col, pg, f"{ns}.{rel}")
            select = f"{self.quote(col)}{cast} AS {self.quote(col)}" if cast else None
            table.columns.append(Column(col, sql, arrow, not notnull, select))
        for ns, rel, col in conn.execute(_KEYS, (schemas, name, name)):
            if (ns, rel) in tables:
                tables[(ns, rel)].primary_key.append(col)
        return list(tables.values())

    def chunks(self, conn: Any, config: PostgresConfig, table: Table) -> list[Chunk]:
        """Heap tables: ranges of pages, read by TID range scans, key or no key.

        A TID range scan reads pages in order at sequential-scan cost; a primary-key range is
        an index scan that costs the server about a third more here (bench/full_load.py). The
        workers share one snapshot, so page ranges are as consistent as key ranges. Partitioned
        tables (no table-wide ctid) fall back to key ranges; views are one chunk.
        """
        with closing(conn.cursor()) as cur:
            cur.execute(
                "SELECT c.relkind, pg_relation_size(c.oid) / current_setting('block_size')::int"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relname = %s",
                (table.namespace, table.name),
            )
            kind, pages = cur.fetchone()
        if kind not in ("r", "m"):
            return super().chunks(conn, config, table)
        rows = table.estimated_rows
        if rows < 0:
            rows = self.scalar(conn, f"SELECT count(*) FROM {self.qualified(table)}", [])
        if not pages or rows <= config.chunk_size:
            return [{}]
        per_chunk = max(1, math.ceil(pages * config.chunk_size / rows))
        starts = list(range(0, pages, per_chunk))
        # The last range is open: pages appended while reading are still read.
        return [{"pages": [s, e]} for s, e in zip(starts, [*starts[1:], None], strict=True)]

    def chunk_predicate(self, table: Table, chunk: Chunk) -> tuple[list[str], list[Any]]:
        if "pages" not in chunk:
            return super().chunk_predicate(table, chunk)
        start, end = chunk["pages"]
        conds, params = ["ctid >= %s::tid"], [f"({int(start)},0)"]
        if end is not None:
            conds.append("ctid < %s::tid")
            params.append(f"({int(end)},0)")
        return conds, params

    def snapshot(self, conn: Any) -> str | None:
        # The transaction stays open until `read` closes this connection after the last chunk.
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return str(conn.execute("SELECT pg_export_snapshot()").fetchone()[0])

    @contextmanager
    def chunk_reader(
        self, config: PostgresConfig, schema: pa.Schema, snapshot: str | None
    ) -> Iterator[Reader]:
        import adbc_driver_postgresql.dbapi as adbc
        from psycopg.sql import Literal

        # ADBC sizes batches in bytes; aim for batch_size rows of a guessed 100 bytes each.
        hint = str(max(1 << 20, min(config.batch_size * 100, 64 << 20)))
        with closing(adbc.connect(conninfo(config), autocommit=True)) as conn:
            if snapshot is not None:
                with closing(conn.cursor()) as cur:
                    cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    cur.execute(f"SET TRANSACTION SNAPSHOT {Literal(snapshot).as_string()}")

            def run(query: str) -> Iterator[pa.RecordBatch]:
                with closing(conn.cursor()) as cur:
                    cur.adbc_statement.set_options(
                        **{"adbc.postgresql.batch_size_hint_bytes": hint}
                    )
                    cur.execute(query)
                    for batch in cur.fetch_record_batch():
                        yield conform(batch, schema)

            yield run
