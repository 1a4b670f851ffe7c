"""Shared base of the SQL sources: check, discover, chunk planning, incremental bounds and state."""

from __future__ import annotations

import builtins
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa

from connectors.base import (
    Checkpoint,
    CheckResult,
    ConfiguredStream,
    DiscoveredStream,
    ReadItem,
    SyncMode,
)
from connectors.errors import ConfigError, ConnectorError
from connectors.sources._parallel import read_parallel
from connectors.sources._sql_config import SQLConfig
from connectors.sources._sql_table import Column, Table, jsonable

log = logging.getLogger(__name__)

# A unit of work and of resume: {"lo": [key...] | None, "hi": [key...] | None} (lo inclusive,
# hi exclusive, None open-ended), {} for the whole table, or a dialect's own (Postgres ctid pages).
Chunk = dict[str, Any]
Reader = Callable[[str], Iterator[pa.RecordBatch]]
# Sparse keys on a table without statistics could ask for millions of ranges; the chunk list
# lives in the state, so it stays small.
MAX_CHUNKS = 10_000


@dataclass
class Plan:
    """What one read does: its chunks, a filter on every chunk, and the state to report."""

    chunks: list[Chunk]
    where: tuple[str, list[Any]] | None
    progress: dict[str, Any]  # state kept while chunks remain (the chunk list is added)
    final: dict[str, Any]  # state once every chunk is read


class SQLSource:
    """A SQL source; a dialect supplies connections, the catalog query and SQL spelling."""

    type: ClassVar[str]
    version: ClassVar[str] = "v0.1.0"
    config_model: ClassVar[builtins.type[SQLConfig]]
    row_compare: ClassVar[bool] = True  # `(a, b) >= (x, y)` uses the key index in this dialect

    # --- what a dialect provides -------------------------------------------------------------
    def connect(self, config: Any) -> Any:
        """A DB-API connection for metadata queries, in autocommit."""
        raise NotImplementedError

    def translate_error(self, exc: BaseException) -> ConnectorError:
        raise NotImplementedError

    def list_tables(
        self, conn: Any, config: Any, only: tuple[str, str] | None = None
    ) -> list[Table]:
        raise NotImplementedError

    def quote(self, name: str) -> str:
        raise NotImplementedError

    def chunk_reader(
        self, config: Any, schema: pa.Schema, snapshot: str | None
    ) -> AbstractContextManager[Reader]:
        """One worker thread's data connection, as a function running one rendered query.

        `snapshot` is what `snapshot()` returned: every worker reads in that snapshot.
        """
        raise NotImplementedError

    def snapshot(self, conn: Any) -> str | None:
        """Start a snapshot on `conn` that the workers can share, where the dialect can."""
        return None

    def connect_for_check(self, config: Any) -> Any:
        """A connection that gives up within `connect_timeout` at every step of the handshake."""
        return self.connect(config)

    def placeholder(self, column: Column) -> str:
        return "%s"

    def render(self, conn: Any, query: str, params: Sequence[Any]) -> str:
        """The query with its values bound by the driver's own client-side binding."""
        with closing(conn.cursor()) as cur:
            return str(cur.mogrify(query, tuple(params)))

    def probe(self, conn: Any, config: Any) -> None:
        """Raise ConfigError when the connection works but the config cannot (a missing schema)."""

    def plan_without_key(self, conn: Any, config: Any, table: Table) -> list[Chunk]:
        return [{}]

    def chunk_predicate(self, table: Table, chunk: Chunk) -> tuple[list[str], list[Any]]:
        keys = [table.column(name) for name in table.primary_key]
        conds: list[str] = []
        params: list[Any] = []
        for bound, op in (("lo", ">="), ("hi", "<")):
            if chunk.get(bound) is not None:
                sql, values = self.compare(keys, op, chunk[bound])
                conds.append(sql)
                params += values
        return conds, params

    # --- shared machinery --------------------------------------------------------------------
    def qualified(self, table: Table) -> str:
        return f"{self.quote(table.namespace)}.{self.quote(table.name)}"

    def compare(self, keys: Sequence[Column], op: str, values: Sequence[Any]) -> tuple[str, list]:
        """`keys op values` in key order, op one of >= or <, bound as parameters."""
        names = [self.quote(k.name) for k in keys]
        marks = [self.placeholder(k) for k in keys]
        if len(keys) == 1 or self.row_compare:
            return f"({', '.join(names)}) {op} ({', '.join(marks)})", list(values)
        # Spelled out for dialects whose optimizer ignores row comparisons in index ranges.
        strict = op[0]
        terms, params = [], []
        for i in range(len(keys)):
            eq = [f"{names[j]} = {marks[j]}" for j in range(i)]
            last = op if i == len(keys) - 1 else strict
            terms.append("(" + " AND ".join([*eq, f"{names[i]} {last} {marks[i]}"]) + ")")
            params += [*values[:i], values[i]]
        return "(" + " OR ".join(terms) + ")", params

    def scalar(self, conn: Any, query: str, params: Sequence[Any] = ()) -> Any:
        with closing(conn.cursor()) as cur:
            cur.execute(query, tuple(params))
            row = cur.fetchone()
        return None if row is None else row[0]

    def check(self, config: Any) -> CheckResult:
        """Connect and look; any failure is a FAILED result saying why, never an exception."""
        try:
            with closing(self.connect_for_check(config)) as conn:
                self.probe(conn, config)
        except Exception as exc:
            return CheckResult.failed(self.translate_error(exc).user_message)
        return CheckResult.succeeded()

    def discover(self, config: Any) -> list[DiscoveredStream]:
        with closing(self.connect(config)) as conn:
            self.probe(conn, config)
            tables = self.list_tables(conn, config)
        return [
            DiscoveredStream(
                name=t.name,
                namespace=t.namespace,
                schema=pa.schema([c.field for c in t.columns]),
                primary_key=list(t.primary_key),
                cursor_fields=t.cursor_candidates(),
                sync_modes=[SyncMode.FULL_REFRESH, SyncMode.INCREMENTAL],
            )
            for t in tables
        ]

    def read(
        self, config: Any, stream: ConfiguredStream, state: dict[str, Any] | None
    ) -> Iterator[ReadItem]:
        """Batches of the stream, with a Checkpoint after each finished chunk."""
        # The metadata connection stays open while reading: it may hold the shared snapshot.
        with closing(self.connect(config)) as conn:
            found = self.list_tables(conn, config, only=(stream.namespace, stream.name))
            if not found:
                raise ConfigError(f"table {stream.key} not found (or not readable)")
            table = found[0]
            columns = [table.column(n) for n in stream.columns] if stream.columns else table.columns
            plan = self.plan(conn, config, table, stream, state or {})
            select = ", ".join(c.select or self.quote(c.name) for c in columns)
            queries = []
            for chunk in plan.chunks:
                conds, params = self.chunk_predicate(table, chunk)
                if plan.where is not None:
                    conds.append(plan.where[0])
                    params += plan.where[1]
                where = f" WHERE {' AND '.join(conds)}" if conds else ""
                query = f"SELECT {select} FROM {self.qualified(table)}{where}"
                queries.append(self.render(conn, query, params))
            schema = pa.schema([c.field for c in columns])
            snapshot = self.snapshot(conn) if len(queries) > 1 else None
            done: set[int] = set()
            # Incremental states are committed as chunks finish: a chunk's rows must then be
            # all that was handed over since the last one (a full refresh commits at the end).
            parallel = read_parallel(
                queries,
                lambda: self.chunk_reader(config, schema, snapshot),
                config.max_threads,
                one_at_a_time=stream.sync_mode is not SyncMode.FULL_REFRESH,
            )
            for index, batch in parallel:
                if batch is not None:
                    yield batch
                    continue
                done.add(index)
                remaining = [c for i, c in enumerate(plan.chunks) if i not in done]
                yield Checkpoint(
                    {**plan.progress, "chunks": remaining} if remaining else plan.final
                )
        if not plan.chunks:
            yield Checkpoint(plan.final)

    def plan(
        self, conn: Any, config: Any, table: Table, stream: ConfiguredStream, state: dict[str, Any]
    ) -> Plan:
        if stream.sync_mode is SyncMode.FULL_REFRESH:
            if state.get("chunks") and "cursor_field" not in state:
                return Plan(list(state["chunks"]), None, {}, {})  # resume: unfinished chunks only
            return Plan(self.chunks(conn, config, table), None, {}, {})
        if stream.sync_mode is not SyncMode.INCREMENTAL:
            raise ConfigError(f"{self.type} source does not support sync mode {stream.sync_mode}")
        name = stream.cursor_field or state.get("cursor_field")
        if not name:
            raise ConfigError(f"incremental sync of {stream.key} needs a cursor_field")
        cursor = table.column(name)
        col, mark, qualified = self.quote(name), self.placeholder(cursor), self.qualified(table)
        mine = state.get("cursor_field") == name
        if mine and state.get("chunks") and "ceiling" in state:  # resume an interrupted first load
            return self._first_load(state["chunks"], name, col, mark, state["ceiling"])
        if mine and state.get("cursor") is not None:
            stored = state["cursor"]
            # The ceiling is fixed before reading: rows committed meanwhile wait for the next run.
            top = self.scalar(
                conn, f"SELECT max({col}) FROM {qualified} WHERE {col} > {mark}", [stored]
            )
            if top is None:
                return Plan([], None, {}, dict(state))
            where = (f"{col} > {mark} AND {col} <= {mark}", [stored, jsonable(top)])
            return Plan([{}], where, dict(state), {"cursor_field": name, "cursor": jsonable(top)})
        if state:
            log.info("%s: no usable cursor in state for %r: reading everything", stream.key, name)
        top = jsonable(self.scalar(conn, f"SELECT max({col}) FROM {qualified}"))
        return self._first_load(self.chunks(conn, config, table), name, col, mark, top)

    def _first_load(self, chunks: list[Chunk], name: str, col: str, mark: str, top: Any) -> Plan:
        final = {"cursor_field": name, "cursor": top}
        if top is None:  # empty, or no cursor value yet: read all, start again next time
            return Plan(chunks, None, {"cursor_field": name, "ceiling": None}, final)
        # NULL cursors are read once here; an incremental run can never see them.
        where = (f"({col} <= {mark} OR {col} IS NULL)", [top])
        return Plan(chunks, where, {"cursor_field": name, "ceiling": top}, final)

    def chunks(self, conn: Any, config: Any, table: Table) -> list[Chunk]:
        """Primary-key ranges of about `chunk_size` rows (or the dialect's keyless split)."""
        if table.is_view or not table.primary_key:
            return self.plan_without_key(conn, config, table)
        keys = [table.column(k) for k in table.primary_key]
        names = ", ".join(self.quote(k.name) for k in keys)
        qualified = self.qualified(table)
        bounds: list[list[Any]] = []
        if len(keys) == 1 and pa.types.is_integer(keys[0].arrow_type):
            # Dense integer keys: split [min, max] evenly, two index lookups in all.
            with closing(conn.cursor()) as cur:
                cur.execute(f"SELECT min({names}), max({names}) FROM {qualified}", ())
                low, high = cur.fetchone()
            if low is None:
                return [{}]
            n = math.ceil((high - low + 1) / config.chunk_size)
            if table.estimated_rows > 0:  # sparse keys: no more chunks than rows call for
                n = min(n, math.ceil(table.estimated_rows / config.chunk_size))
            n = min(n, MAX_CHUNKS)
            step = math.ceil((high - low + 1) / max(n, 1))
            bounds = [[low + i * step] for i in range(1, max(n, 1))]
        else:
            # Other keys: walk the key index, one boundary every chunk_size rows.
            while True:
                where, params = "", list[Any]()
                if bounds:
                    cond, params = self.compare(keys, ">=", bounds[-1])
                    where = f" WHERE {cond}"
                query = (
                    f"SELECT {names} FROM {qualified}{where} ORDER BY {names}"
                    f" LIMIT 1 OFFSET {int(config.chunk_size)}"
                )
                with closing(conn.cursor()) as cur:
                    cur.execute(query, tuple(params))
                    row = cur.fetchone()
                if row is None:
                    break
                bounds.append([jsonable(v) for v in row])
        edges: list[list[Any] | None] = [None, *bounds, None]
        return [{"lo": edges[i], "hi": edges[i + 1]} for i in range(len(edges) - 1)]
