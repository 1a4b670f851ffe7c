"""The contenders of bench/full_load.py: each writes `orders` under `out` and returns its rows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

HOST, PORT, USER, DB = "127.0.0.1", 5432, "postgres", "bench"
URI = f"postgresql://{USER}@{HOST}:{PORT}/{DB}"
COMPRESSION = "snappy"  # ParquetWriter's default: (a) and (b) write alike
_OURS = [
    "connectors.runner",
    "connectors.sources.postgres.source",
    "connectors.destinations.parquet.destination",
    "psycopg",
    "adbc_driver_postgresql.dbapi",
    "pyarrow.parquet",
]
_ADBC = ["adbc_driver_postgresql.dbapi", "pyarrow.parquet"]
_DLT = ["dlt", "dlt.sources.sql_database", "dlt.destinations", "sqlalchemy", "psycopg"]
# What each contender imports, loaded before its clock starts: timings are of the work only.
IMPORTS = {"a": _OURS, "a-nodict": _OURS, "ia": _OURS, "b": _ADBC, "ib": _ADBC,
           "c": [*_DLT, "connectorx"], "d": _DLT}  # fmt: skip


def preload(name: str) -> None:
    import importlib

    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"  # dlt warns once per batch about the json column
    for module in IMPORTS.get(name, []):
        importlib.import_module(module)


def _source_config(**tuning: Any) -> dict[str, Any]:
    config = {"host": HOST, "port": PORT, "database": DB, "username": USER, "schemas": ["public"]}
    return config | tuning


def _sync(out: Path, state: dict[str, Any] | None, **tuning: Any) -> int:
    from connectors import runner
    from connectors.base import ConfiguredStream, SyncMode

    mode = SyncMode.INCREMENTAL if state else SyncMode.FULL_REFRESH
    stream = ConfiguredStream("orders", "public", sync_mode=mode, cursor_field="created_at")
    result = runner.sync_stream(
        source_type="postgres",
        source_version=None,
        source_config=_source_config(**tuning),
        destination_type="parquet",
        destination_version=None,
        destination_config={
            "type": "PARQUET",
            "writer": {"local_path": str(out), "compression": COMPRESSION},
        },
        stream=stream,
        state=state,
    )
    return result.rows


def _adbc(out: Path, query: str) -> int:
    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow.parquet as pq

    rows = 0
    with adbc.connect(URI, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(query)
        reader = cur.fetch_record_batch()
        with pq.ParquetWriter(out / "orders.parquet", reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
    return rows


def _dlt(out: Path, backend: Literal["connectorx", "pyarrow"], **kwargs: Any) -> int:
    import dlt
    from dlt.sources.sql_database import sql_table

    table = sql_table(
        credentials=f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{DB}",
        schema="public",
        table="orders",
        backend=backend,
        **kwargs,
    )
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{backend}",
        pipelines_dir=str(out / ".dlt"),
        destination=dlt.destinations.filesystem(bucket_url=(out / "data").as_uri()),
        dataset_name="bench",
    )
    pipeline.run(table, loader_file_format="parquet")
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    return int(info.row_counts.get("orders", 0)) if info else 0


def run_a(out: Path, **tuning: Any) -> int:
    return _sync(out, None, **tuning)


def run_a_nodict(out: Path, **tuning: Any) -> int:
    """(a) as it would run if the parquet destination let dictionary encoding be switched off."""
    import functools

    import pyarrow.parquet as pq

    pq.ParquetWriter = functools.partial(pq.ParquetWriter, use_dictionary=False)  # type: ignore[misc]
    return _sync(out, None, **tuning)


def run_b(out: Path) -> int:
    return _adbc(out, "SELECT * FROM orders")


def run_c(out: Path) -> int:
    return _dlt(out, "connectorx", backend_kwargs={"conn": URI})


def run_d(out: Path) -> int:
    return _dlt(out, "pyarrow")


def run_ia(out: Path, cursor: str, **tuning: Any) -> int:
    return _sync(out, {"cursor_field": "created_at", "cursor": cursor}, **tuning)


def run_ib(out: Path, cursor: str) -> int:
    return _adbc(out, f"SELECT * FROM orders WHERE created_at > '{cursor}'::timestamptz")
