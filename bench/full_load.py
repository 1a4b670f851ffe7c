"""Full-load benchmark: our postgres source -> parquet vs psql COPY, raw ADBC and dlt (issue 3).

Usage: .venv/bin/python bench/full_load.py [--rows 5000000] [--repeat 3] [--only a,b]

Each contender runs in its own subprocess (its peak RSS is the child's ru_maxrss); the
median of `--repeat` runs is reported. Timings exclude interpreter start and imports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from the repo root or anywhere

HOST, PORT, USER, DB = "127.0.0.1", 5432, "postgres", "bench"
URI = f"postgresql://{USER}@{HOST}:{PORT}/{DB}"
PSQL = ["psql", "-X", "-q", "-h", HOST, "-p", str(PORT), "-U", USER]
CONTENDERS = {
    "L": "psql COPY (binary) > /dev/null",
    "a": "prefect-olake postgres -> parquet (sync_stream)",
    "a-nodict": "(a) with Parquet dictionary encoding off",
    "b": "ADBC fetch_record_batch -> ParquetWriter",
    "c": "dlt sql_table connectorx -> filesystem parquet",
    "d": "dlt sql_table pyarrow -> filesystem parquet",
    "ia": "incremental: prefect-olake, 100k new rows",
    "ib": "incremental: ADBC reading the same rows",
}
COMPRESSION = "snappy"  # ParquetWriter's default, used by (a) and (b) alike


def psql(sql: str, db: str = DB) -> str:
    out = subprocess.run([*PSQL, "-d", db, "-tAc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def ensure_table(rows: int) -> None:
    """Create database `bench` and public.orders with `rows` rows unless already there."""
    if not psql("SELECT 1 FROM pg_database WHERE datname = 'bench'", db="postgres"):
        psql("CREATE DATABASE bench", db="postgres")
    if psql("SELECT to_regclass('public.orders') IS NOT NULL") == "t":
        psql(f"DELETE FROM orders WHERE id > {rows}")  # leftovers of an interrupted incremental
        if psql("SELECT count(*) FROM orders") == str(rows):
            return
    print(f"creating public.orders with {rows:,} rows (a few minutes)...", flush=True)
    sql = HERE / "create_orders.sql"
    subprocess.run([*PSQL, "-d", DB, "-v", f"rows={rows}", "-v", "ON_ERROR_STOP=1", "-f", str(sql)],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip


def run_child(name: str, out: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """One timed run in a fresh process; its own timing, our view of its peak RSS."""
    if name == "L":
        cmd = [*PSQL, "-d", DB, "-c", "COPY (SELECT * FROM orders) TO STDOUT (FORMAT binary)"]
    else:
        cmd = [sys.executable, __file__, "--child", name, "--out", str(out), "--extra",
               json.dumps(extra)]  # fmt: skip
    started = time.perf_counter()
    stdout = subprocess.DEVNULL if name == "L" else subprocess.PIPE
    proc = subprocess.Popen(cmd, stdout=stdout, text=True)
    output = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"contender {name} failed (status {status})")
    result = json.loads(output.strip().splitlines()[-1]) if output else {"seconds": wall}
    result["rss_mb"] = usage.ru_maxrss / 1024
    result["cpu"] = usage.ru_utime + usage.ru_stime  # the client's share; the server's is not in it
    return result


def child(name: str, out: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """The contender's work, timed from the first connection to the last file closed."""
    from bench import contenders

    fn = getattr(contenders, f"run_{name.replace('-', '_')}")
    contenders.preload(name)
    started = time.perf_counter()
    rows = fn(out, **extra)
    return {"seconds": time.perf_counter() - started, "rows": rows}


def measure(
    names: list[str], repeat: int, extra: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Medians over `repeat` rounds; each round runs every contender once, so that load from
    other processes on the machine falls on all of them alike rather than on one."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_ in range(repeat):
        for name in names:
            out = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
            try:
                runs[name].append(run_child(name, out, extra or {}))
            finally:
                shutil.rmtree(out, ignore_errors=True)
            print(f"  round {round_ + 1} {name}: {runs[name][-1]['seconds']:.2f} s", flush=True)
    return {
        name: {
            "seconds": statistics.median(r["seconds"] for r in rs),
            "all": [r["seconds"] for r in rs],
            "cpu": statistics.median(r["cpu"] for r in rs),
            "rss_mb": max(r["rss_mb"] for r in rs),
            "rows": rs[0].get("rows"),
        }
        for name, rs in runs.items()
    }


def report(results: dict[str, dict[str, Any]], rows: int) -> None:
    print(f"\n{'':8} {'contender':48} {'median s':>8} {'rows/s':>9} {'cpu s':>6} {'RSS':>7}  runs")
    for name, r in results.items():
        label = CONTENDERS.get(name, name)
        rate = (r["rows"] or rows) / r["seconds"]
        runs = " ".join(f"{s:.2f}" for s in r["all"])
        print(f"{name:8} {label:48} {r['seconds']:8.2f} {rate:9,.0f} {r['cpu']:6.1f}"
              f" {r['rss_mb']:5.0f}MB  {runs}")  # fmt: skip
    print("\nspeed relative to each contender (their time / ours; higher is better):")
    for ours in ("a", "a-nodict"):
        if ours in results:
            mine = results[ours]["seconds"]
            ratios = [
                f"vs {n}: {results[n]['seconds'] / mine:.2f}x" for n in "Lbcd" if n in results
            ]
            print(f"  {ours:9} " + "   ".join(ratios))
    if "ia" in results and "ib" in results:
        ratio = results["ia"]["seconds"] / results["ib"]["seconds"]
        print(f"  incremental: ours takes {ratio:.2f}x the baseline's time")


def incremental(repeat: int, rows: int, new_rows: int) -> dict[str, dict[str, Any]]:
    """Append rows past the cursor, time our incremental read vs ADBC reading them, clean up."""
    cursor = psql("SELECT to_char(max(created_at) AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') FROM orders")  # fmt: skip
    psql(
        f"INSERT INTO orders SELECT id + {new_rows}, customer_id, amount, status, note,"
        f" created_at + interval '1 year', flag, score, ship_date, attrs"
        f" FROM orders WHERE id > {rows - new_rows}"
    )
    try:
        return measure(["ia", "ib"], repeat, {"cursor": cursor})
    finally:
        psql(f"DELETE FROM orders WHERE id > {rows}")
        psql("VACUUM orders")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="L,a,a-nodict,b,c,d,inc", help="comma list of those")
    parser.add_argument("--incremental-rows", type=int, default=100_000)
    parser.add_argument("--child")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--extra", default="{}")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.out, json.loads(args.extra))))
        return
    ensure_table(args.rows)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, "
          f"PostgreSQL {psql('SHOW server_version')}, {args.rows:,} rows", flush=True)  # fmt: skip
    only = args.only.split(",")
    names = [n for n in CONTENDERS if n in only and not n.startswith("i")]
    results = measure(names, args.repeat)
    if "inc" in only:
        results |= incremental(args.repeat, args.rows, args.incremental_rows)
    report(results, args.rows)


if __name__ == "__main__":
    main()
