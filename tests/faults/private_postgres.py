"""A PostgreSQL cluster of the test's own, which it may stop and start (a real restart).

The machine's shared server on 5432 must never be restarted; a test that needs a real
database outage gets its own cluster instead: `initdb` into a fresh directory, trust auth,
listening on 127.0.0.1 on a free port (socket directory inside its own directory), small and
unsynced (fsync off) for speed. `pg_ctl` stops and starts it, and the context manager always
stops it (its own `pg_ctl`, else its own postmaster pid) and removes its directory at exit.

As root the cluster runs as the OS user `postgres` (initdb refuses root). Its directory is
made under /tmp rather than pytest's tmp_path: pytest's base directory is private to its
owner (mode 0700), so `postgres` could not enter it, and a unix socket path must stay short.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.services import free_port

PG_ROOT = Path("/usr/lib/postgresql")
OS_USER = "postgres"


def _bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries; a clear failure when there are none."""
    found = [
        path.parent for path in PG_ROOT.glob("*/bin/initdb") if (path.parent / "pg_ctl").exists()
    ]
    if not found:
        pytest.fail(
            f"no PostgreSQL server binaries (initdb, pg_ctl) under {PG_ROOT}/*/bin; install the "
            "postgresql server package to run this test",
            pytrace=False,
        )

    def major(bin_dir: Path) -> tuple[int, ...]:
        name = bin_dir.parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit()) or (0,)

    return max(found, key=major)


def _os_user() -> pwd.struct_passwd | None:
    """The user the cluster runs as: `postgres` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        pytest.fail(
            f"running as root, and there is no OS user '{OS_USER}' to run a private PostgreSQL "
            "cluster as (initdb refuses root)",
            pytrace=False,
        )


class PrivatePostgres:
    """One private cluster: its directory, port and URLs, and stop()/start() for outages."""

    def __init__(self, base: Path, bin_dir: Path, user: pwd.struct_passwd | None) -> None:
        self.base = base
        self.bin_dir = bin_dir
        self.user = user
        self.data = base / "data"
        self.socket_dir = base / "sock"
        self.log = base / "postgres.log"
        self.port = free_port()

    # -- commands, run as the cluster's OS user -------------------------------------------

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user.pw_name, "--", *command]
        return subprocess.run(
            command, cwd=self.base, capture_output=True, text=True, timeout=timeout, check=False
        )

    def _check(self, what: str, result: subprocess.CompletedProcess[str]) -> None:
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            pytest.fail(
                f"private PostgreSQL: {what} failed (exit {result.returncode}):\n"
                f"{result.stdout}{result.stderr}\n--- server log ---\n{log}",
                pytrace=False,
            )

    def init(self) -> None:
        self._check(
            "initdb",
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ),
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "shared_buffers": "16MB",
            "max_connections": "60",
            "fsync": "off",
            "full_page_writes": "off",
            "logging_collector": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# private test cluster\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._check(
            "pg_ctl start",
            self._run(
                "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log)
            ),
        )

    def stop(self, mode: str = "fast") -> None:
        """Shut the server down (fast: disconnect every client, checkpoint, exit) and wait."""
        self._check(
            "pg_ctl stop", self._run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.data))
        )

    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.data)).returncode == 0

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    # -- addresses ------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh database in the cluster; its URL."""
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    # -- teardown -------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the cluster whatever state it is in: pg_ctl first, then its own pid."""
        if not self.data.exists():
            return
        if self.running():
            result = self._run(
                "pg_ctl", "stop", "-w", "-t", "30", "-m", "immediate", "-D", str(self.data)
            )
            pid = self.postmaster_pid()
            if result.returncode != 0 and pid is not None:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started private cluster; stopped and removed at exit, whatever happened."""
    bin_dir = _bin_dir()
    user = _os_user()
    base = Path(tempfile.mkdtemp(prefix="olake-pg-"))
    cluster = PrivatePostgres(base, bin_dir, user)
    try:
        cluster.socket_dir.mkdir()
        if user is not None:
            for path in (base, cluster.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.shutdown()
        finally:
            shutil.rmtree(base, ignore_errors=True)
