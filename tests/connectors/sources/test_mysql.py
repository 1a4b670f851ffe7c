"""The mysql source against the real MariaDB: conformance, types, chunks, resume, errors."""

from __future__ import annotations

import datetime as dt
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pymysql
import pytest

from connectors import runner
from connectors.base import Checkpoint, CheckStatus, ConfiguredStream, SyncMode
from connectors.testing import SourceConformance
from tests.services import require_port

UTC = dt.UTC
HOSTILE = "we`ird; drop"
T0 = dt.datetime(2024, 1, 1)

TYPES_DDL = """
CREATE TABLE all_types (
  id bigint PRIMARY KEY, ti tinyint, tu tinyint unsigned, si smallint, mi mediumint, i int,
  iu int unsigned, bu bigint unsigned, f float, d double, n decimal(12,2), n60 decimal(60,10),
  bt bit(5), y year, dd date, dtm datetime(6), ts timestamp(6) NULL, tm time(6), c char(3),
  vc varchar(20), tx text, e enum('a','b'), st set('x','y'), j json, bin binary(3),
  vb varbinary(10), bl blob, g geometry, u uuid)
"""
TYPES_ROW = """
INSERT INTO all_types VALUES (1, -1, 255, -2, -3, -4, 4294967295, 18446744073709551615, 1.5, 2.25,
  123.45, '12345678901234567890123456789012345678901234567890.1234567890', b'10101', 2024,
  '2024-01-02', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5', '-838:59:59', 'abc',
  'vc', 'text', 'b', 'x,y', '{"a": 1}', 'abc', x'00ff', x'deadbeef', POINT(1, 2),
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL)
"""
ALL_TYPES_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        ("ti", pa.int8()), ("tu", pa.uint8()), ("si", pa.int16()), ("mi", pa.int32()),
        ("i", pa.int32()), ("iu", pa.uint32()), ("bu", pa.uint64()), ("f", pa.float32()),
        ("d", pa.float64()), ("n", pa.decimal128(12, 2)), ("n60", pa.decimal256(60, 10)),
        ("bt", pa.uint64()), ("y", pa.int16()), ("dd", pa.date32()), ("dtm", pa.timestamp("us")),
        ("ts", pa.timestamp("us", tz="UTC")), ("tm", pa.duration("us")), ("c", pa.string()),
        ("vc", pa.string()), ("tx", pa.string()), ("e", pa.string()), ("st", pa.string()),
        ("j", pa.string()), ("bin", pa.binary()), ("vb", pa.binary()), ("bl", pa.binary()),
        ("g", pa.string()), ("u", pa.string()),
    ]
)  # fmt: skip
ALL_TYPES_ROW = {
    "id": 1, "ti": -1, "tu": 255, "si": -2, "mi": -3, "i": -4, "iu": 4294967295,
    "bu": 18446744073709551615, "f": 1.5, "d": 2.25, "n": Decimal("123.45"),
    "n60": Decimal("12345678901234567890123456789012345678901234567890.1234567890"), "bt": 21,
    "y": 2024, "dd": dt.date(2024, 1, 2), "dtm": dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
    "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC),
    "tm": -dt.timedelta(hours=838, minutes=59, seconds=59), "c": "abc", "vc": "vc", "tx": "text",
    "e": "b", "st": "x,y", "j": '{"a": 1}', "bin": b"abc", "vb": b"\x00\xff",
    "bl": b"\xde\xad\xbe\xef", "g": "POINT(1 2)", "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
}  # fmt: skip
NULL_ROW = {name: None for name in ALL_TYPES_SCHEMA.names} | {"id": 2}


def event(i: int) -> dict[str, Any]:
    updated = None if i % 10 == 0 else T0 + dt.timedelta(minutes=i)
    return {"id": i, "name": f"n{i}", "updated_at": updated}


def hostile(i: int) -> dict[str, Any]:
    return {"k`1": f"k{i:03d}", "a%b": i, "select": T0 + dt.timedelta(hours=i)}


def admin(database: str | None = None) -> pymysql.Connection:
    return pymysql.connect(host="127.0.0.1", user="root", database=database, autocommit=True)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A throwaway database with every fixture table (fails clearly when MariaDB is down)."""
    require_port("MariaDB", 3306)
    name = f"ct_mysql_{uuid.uuid4().hex[:8]}"
    with admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
        cur.execute(f"USE {name}")
        cur.execute(TYPES_DDL)
        cur.execute(TYPES_ROW)
        cur.execute("CREATE TABLE events (id int PRIMARY KEY, name text, updated_at datetime)")
        cur.execute("CREATE VIEW recent AS SELECT id, name FROM events")
        cur.execute(
            "CREATE TABLE `we``ird; drop` (`k``1` varchar(10) PRIMARY KEY, `a%b` int,"
            " `select` datetime)"
        )
        cur.execute("CREATE TABLE pairs (a int, b varchar(10), v text, PRIMARY KEY (a, b))")
        cur.execute("CREATE TABLE nokey (v int)")
        cur.executemany(
            "INSERT INTO events VALUES (%(id)s, %(name)s, %(updated_at)s)",
            [event(i) for i in range(1, 51)],
        )
        cur.executemany(
            "INSERT INTO `we``ird; drop` VALUES (%s, %s, %s)",
            [tuple(hostile(i).values()) for i in range(1, 21)],
        )
        cur.executemany(
            "INSERT INTO pairs VALUES (%s, %s, 'v')", [(i % 5, f"b{i}") for i in range(1, 41)]
        )
        cur.executemany("INSERT INTO nokey VALUES (%s)", [(i,) for i in range(30)])
    yield name
    with admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE {name}")


def make_config(database: str, **overrides: Any) -> dict[str, Any]:
    config = {
        "host": "127.0.0.1",
        "port": 3306,
        "database": database,
        "username": "root",
        "password": "",
        "chunk_size": 7,
        "max_threads": 3,
        "batch_size": 5,
    }
    return config | overrides


def read_all(config: dict[str, Any], stream: ConfiguredStream, state: dict | None = None) -> tuple:
    rows, states = [], []
    for item in runner.read("mysql", None, config, stream, state):
        if isinstance(item, Checkpoint):
            states.append(item.state)
        else:
            rows += item.to_pylist()
    return rows, states


class TestMySQLConformance(SourceConformance):
    source_type = "mysql"

    @pytest.fixture
    def config(self, database: str) -> dict[str, Any]:
        return make_config(database)

    @pytest.fixture
    def bad_config(self, config: dict[str, Any]) -> dict[str, Any]:
        return config | {"password": "wrong"}

    @pytest.fixture
    def expected_streams(self, database: str) -> list[str]:
        return [f"{database}.{t}" for t in ("all_types", "events", "recent", HOSTILE, "pairs")]

    @pytest.fixture
    def fixture_rows(self, database: str) -> dict[str, list[dict[str, Any]]]:
        return {
            f"{database}.events": [event(i) for i in range(1, 51)],
            f"{database}.all_types": [ALL_TYPES_ROW, NULL_ROW],
            f"{database}.{HOSTILE}": [hostile(i) for i in range(1, 21)],
        }

    @pytest.fixture
    def incremental_stream(self, database: str) -> tuple[str, str | None]:
        return (f"{database}.events", "updated_at")

    @pytest.fixture
    def insert_new_rows(self, database: str) -> Iterator[Callable[[], list[dict[str, Any]]]]:
        def insert() -> list[dict[str, Any]]:
            rows = [event(i) for i in range(51, 56)]
            with admin(database) as conn, conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO events VALUES (%(id)s, %(name)s, %(updated_at)s)", rows
                )
            return [r for r in rows if r["updated_at"] is not None]

        yield insert
        with admin(database) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM events WHERE id > 50")


def stream_of(database: str, name: str, **kw: Any) -> ConfiguredStream:
    return ConfiguredStream(name=name, namespace=database, **kw)


def test_every_type_maps_to_its_arrow_type(database: str) -> None:
    catalog = runner.registry.get_source("mysql")
    config = catalog.config_model.model_validate(make_config(database))
    found = {s.name: s for s in catalog.discover(config)}
    assert found["all_types"].schema == ALL_TYPES_SCHEMA
    assert found["events"].cursor_fields == ["id", "updated_at"]
    assert found["pairs"].primary_key == ["a", "b"]
    assert found["recent"].primary_key == []


@pytest.mark.parametrize("table", ["events", "pairs", HOSTILE])
def test_chunked_parallel_read_returns_each_row_once(database: str, table: str) -> None:
    expected = {"events": 50, "pairs": 40, HOSTILE: 20}[table]
    rows, states = read_all(make_config(database), stream_of(database, table))
    assert len(rows) == expected
    assert len({tuple(map(str, r.values())) for r in rows}) == expected
    assert len(states) >= 3, "a tiny chunk_size must give several chunks"
    assert states[-1] == {}


def test_table_without_key_is_one_chunk(database: str) -> None:
    rows, states = read_all(make_config(database), stream_of(database, "nokey"))
    assert sorted(r["v"] for r in rows) == list(range(30)) and states == [{}]


def test_resume_reads_only_unfinished_chunks(database: str) -> None:
    config = make_config(database, max_threads=1)
    stream = stream_of(database, "pairs")
    rows, states = read_all(config, stream)
    resumed, _ = read_all(config, stream, states[1])
    assert 0 < len(resumed) < len(rows)
    done = {(r["a"], r["b"]) for r in rows} - {(r["a"], r["b"]) for r in resumed}
    assert len(done) == len(rows) - len(resumed)


def test_incremental_state_holds_the_cursor_and_a_quiet_run_reads_nothing(database: str) -> None:
    config = make_config(database)
    stream = stream_of(database, HOSTILE, sync_mode=SyncMode.INCREMENTAL, cursor_field="select")
    rows, states = read_all(config, stream)
    assert len(rows) == 20
    assert states[-1] == {"cursor_field": "select", "cursor": "2024-01-01T20:00:00"}
    again, again_states = read_all(config, stream, states[-1])
    assert again == [] and again_states == [states[-1]]


def test_wrong_password_fails_check_saying_so(database: str) -> None:
    result = runner.check("source", "mysql", None, make_config(database, password="wrong"), 20)
    assert result.status is CheckStatus.FAILED
    assert "wrong username or password" in result.message


def test_unknown_database_fails_check_saying_so() -> None:
    result = runner.check("source", "mysql", None, make_config("ct_no_such_db"), 20)
    assert result.status is CheckStatus.FAILED
    assert "unknown database" in result.message and "ct_no_such_db" in result.message


def test_unreachable_host_fails_check_within_the_timeout(database: str) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        config = make_config(database, port=silent.getsockname()[1], connect_timeout=1)
        started = time.monotonic()
        result = runner.check("source", "mysql", None, config, 20)
    assert time.monotonic() - started < 5
    assert result.status is CheckStatus.FAILED
    assert "unreachable" in result.message


def test_refused_port_fails_check(database: str) -> None:
    result = runner.check("source", "mysql", None, make_config(database, port=1), 20)
    assert result.status is CheckStatus.FAILED
    assert "unreachable" in result.message
