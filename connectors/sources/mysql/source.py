"""MySQL/MariaDB source: PyMySQL unbuffered reads as raw text, typed by vectorised Arrow casts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import pyarrow as pa

from connectors.errors import ConfigError, ConnectorError, TransientError
from connectors.sources._arrow import conform
from connectors.sources._sql import Reader, SQLSource
from connectors.sources._sql_table import Column, Table
from connectors.sources.mysql.config import MySQLConfig
from connectors.sources.mysql.types import arrow_type

_COLUMNS = """
SELECT c.TABLE_NAME, t.TABLE_TYPE, t.TABLE_ROWS, c.COLUMN_NAME, c.IS_NULLABLE, c.DATA_TYPE,
       c.COLUMN_TYPE, c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.COLUMN_KEY
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA = %s AND (%s IS NULL OR c.TABLE_NAME = %s)
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION
"""
_KEYS = """
SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = %s AND INDEX_NAME = 'PRIMARY' AND (%s IS NULL OR TABLE_NAME = %s)
ORDER BY TABLE_NAME, SEQ_IN_INDEX
"""
# Server error codes: which the user must fix, which a retry may cure.
_AUTH = {1045, 1698}
_UNKNOWN_DB = {1049}
_DENIED = {1044, 1142, 1143, 1227}
_BAD_QUERY = {1054, 1064, 1146}
_UNREACHABLE = {2003}
_UNKNOWN_HOST = {2005}
_RETRYABLE = {1040, 1205, 1213, 2006, 2013, 2055}


def connect_args(config: MySQLConfig) -> dict[str, Any]:
    args: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "user": config.username,
        "password": config.password,
        "database": config.database,
        "connect_timeout": config.connect_timeout,
        "charset": "utf8mb4",
        "autocommit": True,
        "init_command": "SET time_zone = '+00:00'",
    }
    ssl = config.ssl
    if ssl.mode != "disable":
        verify = ssl.mode in ("verify-ca", "verify-full")
        args["ssl"] = {"check_hostname": ssl.mode == "verify-full"}
        if ssl.server_ca:
            args["ssl"]["ca"] = ssl.server_ca
        if ssl.client_cert:
            args["ssl"]["cert"], args["ssl"]["key"] = ssl.client_cert, ssl.client_key
        args["ssl_verify_cert"] = verify
    return args


class MySQLSource(SQLSource):
    """Reads the tables and views of one database (its namespace)."""

    type = "mysql"
    config_model = MySQLConfig
    row_compare = False  # MariaDB does not use `(a, b) >= (x, y)` as an index range

    def connect(self, config: MySQLConfig) -> Any:
        import pymysql

        return pymysql.connect(**connect_args(config))

    def connect_for_check(self, config: MySQLConfig) -> Any:
        import pymysql

        # PyMySQL's connect_timeout covers the TCP connect only; a server that accepts and then
        # stays silent would hang the handshake without a read timeout.
        return pymysql.connect(**connect_args(config), read_timeout=config.connect_timeout)

    def translate_error(self, exc: BaseException) -> ConnectorError:
        """The one place PyMySQL errors become config or transient errors."""
        if isinstance(exc, ConnectorError):
            return exc
        args: tuple[Any, ...] = getattr(exc, "args", ())
        code = args[0] if args and isinstance(args[0], int) else None
        message = str(args[1]) if len(args) > 1 else str(exc)
        if code in _AUTH:
            return ConfigError(f"authentication failed: wrong username or password ({message})")
        if code in _UNKNOWN_DB:
            return ConfigError(f"unknown database: {message}")
        if code in _DENIED:
            return ConfigError(f"access refused: {message}")
        if code in _BAD_QUERY:
            return ConfigError(f"query refused: {message}")
        if code in _UNKNOWN_HOST or "Name or service not known" in message:
            return ConfigError(f"unknown host: {message}")
        if code in _UNREACHABLE:
            return TransientError(f"host unreachable: {message}")
        if code == 2013 and "timed out" in message:  # only checks set a read timeout
            return TransientError(f"host unreachable: no answer within connect_timeout ({message})")
        if code in _RETRYABLE or isinstance(exc, ConnectionError | TimeoutError):
            return TransientError(f"connection lost: {message}")
        return ConnectorError(f"mysql: {type(exc).__name__}: {message}", internal_message=repr(exc))

    def quote(self, name: str) -> str:
        # Doubled backticks make any name an identifier; doubled % survive the driver's binding.
        return "`" + name.replace("`", "``").replace("%", "%%") + "`"

    def list_tables(
        self, conn: Any, config: MySQLConfig, only: tuple[str, str] | None = None
    ) -> list[Table]:
        if only and only[0] != config.database:
            return []
        name = only[1] if only else None
        tables: dict[str, Table] = {}
        with closing(conn.cursor()) as cur:
            cur.execute(_COLUMNS, (config.database, name, name))
            for rel, kind, est, col, nullable, dtype, ctype, prec, scale, _ in cur.fetchall():
                table = tables.get(rel)
                if table is None:
                    is_view = kind == "VIEW"
                    rows = -1 if is_view or est is None else int(est)
                    table = tables[rel] = Table(config.database, rel, [], [], rows, is_view)
                quoted = self.quote(col)
                arrow, expr = arrow_type(
                    col, quoted, dtype, ctype, prec, scale, f"{config.database}.{rel}"
                )
                select = f"{expr} AS {quoted}" if expr else None
                table.columns.append(Column(col, ctype, arrow, nullable == "YES", select))
            cur.execute(_KEYS, (config.database, name, name))
            for rel, col in cur.fetchall():
                if rel in tables:
                    tables[rel].primary_key.append(col)
        return list(tables.values())

    @contextmanager
    def chunk_reader(
        self, config: MySQLConfig, schema: pa.Schema, snapshot: str | None
    ) -> Iterator[Reader]:
        import pymysql
        import pymysql.cursors

        # No converters: values arrive as the server's text (bytes for binary columns) and
        # Arrow casts whole columns at C speed instead of Python parsing each value.
        raw = pymysql.connect(**connect_args(config), conv={})
        # Text for text columns, bytes for binary ones: the Arrow type each column is built as.
        carriers = [pa.binary() if pa.types.is_binary(f.type) else pa.string() for f in schema]
        with closing(raw) as conn:

            def run(query: str) -> Iterator[pa.RecordBatch]:
                with closing(conn.cursor(pymysql.cursors.SSCursor)) as cur:
                    cur.execute(query)
                    while rows := cur.fetchmany(config.batch_size):
                        columns = zip(*rows, strict=True)
                        arrays = [pa.array(v, t) for v, t in zip(columns, carriers, strict=True)]
                        yield conform(
                            pa.RecordBatch.from_arrays(arrays, names=schema.names), schema
                        )

            yield run
