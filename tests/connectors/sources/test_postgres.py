"""The postgres source against the real server: conformance, types, chunks, resume, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pyarrow as pa
import pytest

from connectors import runner
from connectors.base import Checkpoint, CheckStatus, ConfiguredStream, SyncMode
from connectors.errors import ErrorKind
from connectors.sources.postgres.source import PostgresSource
from connectors.testing import SourceConformance
from tests.services import require_port

UTC = dt.UTC
HOSTILE = 'we"ird; drop'
T0 = dt.datetime(2024, 1, 1, tzinfo=UTC)

TYPES_DDL = """
CREATE TYPE {s}.mood AS ENUM ('sad', 'happy');
CREATE DOMAIN {s}.posint AS int CHECK (VALUE > 0);
CREATE TABLE {s}.all_types (
  id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision, n numeric(12,2),
  nu numeric, n40 numeric(40,5), b boolean, t text, vc varchar(10), ch char(3), d date,
  ts timestamp, tstz timestamptz, tm time, iv interval, j json, jb jsonb, u uuid, by bytea,
  e {s}.mood, ai int[], at text[], an numeric[], a2 int[][], ip inet, pi {s}.posint, pt point,
  o oid);
INSERT INTO {s}.all_types VALUES
 (1, 1, 9000000000, 1.5, 2.25, 123.45, 1234567890123456789012.5,
  12345678901234567890123456789012345.12345, true, 'x', 'y', 'abc', '2024-01-02',
  '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5+02',
  '12:34:56.789', '1 mon 2 days 3 hours', '{{"a": 1}}', '{{"b": [1, 2]}}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\xdeadbeef', 'happy', '{{1,NULL,3}}', '{{a,b}}',
  '{{1.5,2}}', '{{{{1,2}},{{3,4}}}}', '10.0.0.1/8', 7, '(1,2)', 4000000000),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE {s}.arrays (id int PRIMARY KEY, a int[]);
INSERT INTO {s}.arrays VALUES (1, '[2:3]={{5,6}}'), (2, '{{}}'), (3, NULL);
"""
ALL_TYPES_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int32(), nullable=False),
        ("i2", pa.int16()), ("i8", pa.int64()), ("f4", pa.float32()), ("f8", pa.float64()),
        ("n", pa.decimal128(12, 2)), ("nu", pa.string()), ("n40", pa.decimal256(40, 5)),
        ("b", pa.bool_()), ("t", pa.string()), ("vc", pa.string()), ("ch", pa.string()),
        ("d", pa.date32()), ("ts", pa.timestamp("us")), ("tstz", pa.timestamp("us", tz="UTC")),
        ("tm", pa.time64("us")), ("iv", pa.month_day_nano_interval()), ("j", pa.string()),
        ("jb", pa.string()), ("u", pa.string()), ("by", pa.binary()), ("e", pa.string()),
        ("ai", pa.list_(pa.int32())), ("at", pa.list_(pa.string())), ("an", pa.list_(pa.string())),
        ("a2", pa.string()),
        ("ip", pa.string()), ("pi", pa.int32()), ("pt", pa.string()), ("o", pa.int64()),
    ]
)  # fmt: skip
ALL_TYPES_ROW = {
    "id": 1, "i2": 1, "i8": 9000000000, "f4": 1.5, "f8": 2.25, "n": Decimal("123.45"),
    "nu": "1234567890123456789012.5",
    "n40": Decimal("12345678901234567890123456789012345.12345"), "b": True, "t": "x", "vc": "y",
    "ch": "abc", "d": dt.date(2024, 1, 2), "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
    "tstz": dt.datetime(2024, 1, 2, 1, 4, 5, 500000, tzinfo=UTC), "tm": dt.time(12, 34, 56, 789000),
    "iv": pa.MonthDayNano([1, 2, 3 * 3600 * 10**9]), "j": '{"a": 1}', "jb": '{"b": [1, 2]}',
    "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "by": b"\xde\xad\xbe\xef", "e": "happy",
    "ai": [1, None, 3], "at": ["a", "b"], "an": ["1.5", "2"], "a2": "{{1,2},{3,4}}",
    "ip": "10.0.0.1/8", "pi": 7,
    "pt": "(1,2)", "o": 4000000000,
}  # fmt: skip
NULL_ROW = {name: None for name in ALL_TYPES_SCHEMA.names} | {"id": 2}


def event(i: int) -> dict[str, Any]:
    updated = None if i % 10 == 0 else T0 + dt.timedelta(minutes=i)
    return {"id": i, "name": f"n{i}", "updated_at": updated}


def hostile(i: int) -> dict[str, Any]:
    return {'k"1': f"k{i:03d}", "a%b": i, "select": T0 + dt.timedelta(hours=i)}


@pytest.fixture(scope="module")
def schema() -> Iterator[str]:
    """A throwaway schema holding every fixture table (fails clearly when Postgres is down)."""
    require_port("PostgreSQL", 5432)
    name = f"ct_pg_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
        conn.execute(TYPES_DDL.format(s=name))
        conn.execute(
            f"CREATE TABLE {name}.events (id int PRIMARY KEY, name text, updated_at timestamptz)"
            " WITH (fillfactor = 10)"  # few rows a page: several page-range chunks
        )
        conn.execute(f"CREATE VIEW {name}.recent AS SELECT id, name FROM {name}.events")
        conn.execute(
            f'CREATE TABLE {name}."we""ird; drop" ("k""1" text PRIMARY KEY, "a%b" int,'
            ' "select" timestamptz) WITH (fillfactor = 10)'
        )
        # Partitioned: no table-wide ctid, so its chunks are ranges of its composite key.
        conn.execute(
            f"CREATE TABLE {name}.pairs (a int, b text, v text, PRIMARY KEY (a, b))"
            " PARTITION BY RANGE (a)"
        )
        for part, low, high in (("low", 0, 2), ("high", 2, 5)):
            conn.execute(
                f"CREATE TABLE {name}.pairs_{part} PARTITION OF {name}.pairs"
                f" FOR VALUES FROM ({low}) TO ({high})"
            )
        conn.execute(f"CREATE TABLE {name}.nokey (v int, pad text)")
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {name}.events VALUES (%(id)s, %(name)s, %(updated_at)s)",
                [event(i) for i in range(1, 51)],
            )
            cur.executemany(
                f'INSERT INTO {name}."we""ird; drop" VALUES (%s, %s, %s)',
                [tuple(hostile(i).values()) for i in range(1, 61)],
            )
        conn.execute(
            f"INSERT INTO {name}.pairs SELECT g % 5, 'b' || g, 'v' FROM generate_series(1, 40) g"
        )
        conn.execute(
            f"INSERT INTO {name}.nokey SELECT g, repeat('x', 500) FROM generate_series(1, 300) g"
        )
        conn.execute(f"ANALYZE {name}.nokey")
    yield name
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


def make_config(schema: str, **overrides: Any) -> dict[str, Any]:
    config = {
        "host": "127.0.0.1",
        "port": 5432,
        "database": "test",
        "username": "postgres",
        "password": "",
        "schemas": [schema],
        "chunk_size": 7,
        "max_threads": 3,
    }
    return config | overrides


def read_all(config: dict[str, Any], stream: ConfiguredStream, state: dict | None = None) -> tuple:
    rows, states = [], []
    for item in runner.read("postgres", None, config, stream, state):
        if isinstance(item, Checkpoint):
            states.append(item.state)
        else:
            rows += item.to_pylist()
    return rows, states


class TestPostgresConformance(SourceConformance):
    source_type = "postgres"

    @pytest.fixture
    def config(self, schema: str) -> dict[str, Any]:
        return make_config(schema)

    @pytest.fixture
    def bad_config(self, config: dict[str, Any]) -> dict[str, Any]:
        return config | {"database": "ct_no_such_database"}

    @pytest.fixture
    def expected_streams(self, schema: str) -> list[str]:
        return [
            f"{schema}.{t}" for t in ("all_types", "arrays", "events", "recent", HOSTILE, "pairs")
        ]

    @pytest.fixture
    def fixture_rows(self, schema: str) -> dict[str, list[dict[str, Any]]]:
        return {
            f"{schema}.events": [event(i) for i in range(1, 51)],
            f"{schema}.all_types": [ALL_TYPES_ROW, NULL_ROW],
            f"{schema}.{HOSTILE}": [hostile(i) for i in range(1, 61)],
        }

    @pytest.fixture
    def incremental_stream(self, schema: str) -> tuple[str, str | None]:
        return (f"{schema}.events", "updated_at")

    @pytest.fixture
    def insert_new_rows(self, schema: str) -> Iterator[Callable[[], list[dict[str, Any]]]]:
        def insert() -> list[dict[str, Any]]:
            rows = [event(i) for i in range(51, 56)]
            with psycopg.connect("host=127.0.0.1 user=postgres dbname=test") as conn:
                conn.cursor().executemany(
                    f"INSERT INTO {schema}.events VALUES (%(id)s, %(name)s, %(updated_at)s)", rows
                )
            return [r for r in rows if r["updated_at"] is not None]

        yield insert
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=test") as conn:
            conn.execute(f"DELETE FROM {schema}.events WHERE id > 50")


def stream_of(schema: str, name: str, **kw: Any) -> ConfiguredStream:
    return ConfiguredStream(name=name, namespace=schema, **kw)


def test_every_type_maps_to_its_arrow_type(schema: str) -> None:
    streams = runner.registry.get_source("postgres").discover(
        PostgresSource.config_model.model_validate(make_config(schema))
    )
    found = {s.name: s for s in streams}
    assert found["all_types"].schema == ALL_TYPES_SCHEMA
    assert found["all_types"].primary_key == ["id"]
    assert found["events"].cursor_fields == ["id", "updated_at"]
    assert found["pairs"].primary_key == ["a", "b"]
    assert found["recent"].primary_key == []


def test_arrays_keep_their_values_whatever_their_lower_bound(schema: str) -> None:
    rows, _ = read_all(make_config(schema), stream_of(schema, "arrays"))
    assert sorted(rows, key=lambda r: r["id"]) == [
        {"id": 1, "a": [5, 6]},
        {"id": 2, "a": []},
        {"id": 3, "a": None},
    ]


def test_unmapped_type_is_read_as_text_with_a_warning(
    schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    rows, _ = read_all(make_config(schema), stream_of(schema, "all_types", columns=["id", "pt"]))
    assert {"id": 1, "pt": "(1,2)"} in rows
    assert any("point" in r.message and r.levelname == "WARNING" for r in caplog.records)


@pytest.mark.parametrize("table", ["events", "pairs", "nokey", HOSTILE])
def test_chunked_parallel_read_returns_each_row_once(schema: str, table: str) -> None:
    expected = {"events": 50, "pairs": 40, "nokey": 300, HOSTILE: 60}[table]
    rows, states = read_all(make_config(schema), stream_of(schema, table))
    assert len(rows) == expected
    assert len({tuple(map(str, r.values())) for r in rows}) == expected
    assert len(states) >= 3, "a tiny chunk_size must give several chunks"
    assert states[-1] == {}
    pending = [len(s["chunks"]) for s in states[:-1]]
    assert pending == sorted(pending, reverse=True)


def test_resume_reads_only_unfinished_chunks(schema: str) -> None:
    config = make_config(schema, max_threads=1)
    stream = stream_of(schema, "events")
    rows, states = read_all(config, stream)
    resumed, _ = read_all(config, stream, states[1])
    first_two = len(rows) - len(resumed)
    assert 0 < first_two < len(rows)
    assert sorted(r["id"] for r in resumed) == sorted(r["id"] for r in rows)[first_two:]


def test_incremental_state_holds_the_cursor_and_a_quiet_run_reads_nothing(schema: str) -> None:
    config = make_config(schema)
    stream = stream_of(schema, HOSTILE, sync_mode=SyncMode.INCREMENTAL, cursor_field="select")
    rows, states = read_all(config, stream)
    assert len(rows) == 60
    assert states[-1] == {"cursor_field": "select", "cursor": "2024-01-03T12:00:00+00:00"}
    again, again_states = read_all(config, stream, states[-1])
    assert again == [] and again_states == [states[-1]]


def test_incremental_first_load_reads_null_cursors_once(schema: str) -> None:
    stream = stream_of(schema, "events", sync_mode=SyncMode.INCREMENTAL, cursor_field="updated_at")
    rows, _ = read_all(make_config(schema), stream)
    assert sum(r["updated_at"] is None for r in rows) == 5


def test_unknown_database_fails_check_saying_so(schema: str) -> None:
    result = runner.check("source", "postgres", None, make_config(schema, database="ct_nope"), 20)
    assert result.status is CheckStatus.FAILED
    assert "unknown database" in result.message and "ct_nope" in result.message


def test_unknown_user_fails_check_saying_so(schema: str) -> None:
    # The local server trusts every password, so a wrong one cannot be shown here (see below).
    result = runner.check("source", "postgres", None, make_config(schema, username="ct_nobody"), 20)
    assert result.status is CheckStatus.FAILED
    assert "access refused" in result.message and "ct_nobody" in result.message


def test_wrong_password_is_a_config_error() -> None:
    exc = psycopg.OperationalError(
        'connection failed: FATAL:  password authentication failed for user "x"'
    )
    error = PostgresSource().translate_error(exc)
    assert error.kind is ErrorKind.CONFIG
    assert "wrong username or password" in error.user_message


def test_unreachable_host_fails_check_within_the_timeout(schema: str) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        config = make_config(schema, port=silent.getsockname()[1], connect_timeout=1)
        started = time.monotonic()
        result = runner.check("source", "postgres", None, config, 20)
    assert time.monotonic() - started < 5
    assert result.status is CheckStatus.FAILED
    assert "unreachable" in result.message


def test_refused_port_fails_check(schema: str) -> None:
    result = runner.check("source", "postgres", None, make_config(schema, port=1), 20)
    assert result.status is CheckStatus.FAILED
    assert "unreachable" in result.message


def test_missing_schema_fails_check(schema: str) -> None:
    result = runner.check("source", "postgres", None, make_config("ct_no_such_schema"), 20)
    assert result.status is CheckStatus.FAILED
    assert "ct_no_such_schema" in result.message


def test_selected_columns_only(schema: str) -> None:
    stream = dataclasses.replace(stream_of(schema, "events"), columns=["name"])
    rows, _ = read_all(make_config(schema), stream)
    assert rows[0].keys() == {"name"} and len(rows) == 50


def test_all_chunks_read_one_snapshot(schema: str) -> None:
    dsn = "host=127.0.0.1 user=postgres dbname=test"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {schema}.snap (id int PRIMARY KEY, v text) WITH (fillfactor=10)"
        )
        conn.execute(f"INSERT INTO {schema}.snap SELECT g, 'v' FROM generate_series(1, 100) g")
    rows, deleted = 0, False
    config = make_config(schema, max_threads=1)
    for item in runner.read("postgres", None, config, stream_of(schema, "snap")):
        if isinstance(item, Checkpoint) and not deleted:
            with psycopg.connect(dsn, autocommit=True) as conn:  # chunks still to come
                conn.execute(f"DELETE FROM {schema}.snap")
            deleted = True
        elif not isinstance(item, Checkpoint):
            rows += item.num_rows
    assert deleted and rows == 100
