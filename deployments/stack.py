"""`prefect-olake up`: Prefect server, work pool, worker and API on one machine; clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deployments.pools import ensure_work_pool
from metadata.db import migrate
from metadata.settings import Settings

# A restarted child that dies again within HEALTHY_SECONDS waits twice as long (1 s, 2 s, ...
# up to BACKOFF_CAP) before the next start; after MAX_QUICK_RESTARTS such deaths the stack stops.
HEALTHY_SECONDS = 60.0
BACKOFF_CAP = 30
MAX_QUICK_RESTARTS = 5


class StackError(RuntimeError):
    """A part could not start; the message says which and why."""


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path
    env: dict[str, str]
    restart: bool = False  # restarted when it dies, instead of stopping the stack
    nice: int = 0  # added niceness: syncs yield the CPU to the API's requests
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = field(default=0.0, repr=False)
    failures: int = field(default=0, repr=False)  # quick deaths in a row, for the backoff

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.started_at = time.monotonic()
        with self.log.open("ab") as out:
            # A session of its own: Ctrl-C reaches only us, and we stop the whole group.
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=(lambda: os.nice(self.nice)) if self.nice else None,  # noqa: PLW1509
            )

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        except ProcessLookupError:
            pass

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_http(url: str, child: Child | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and child.exited() is not None:
            raise StackError(f"{child.name} exited with code {child.exited()}:\n{child.tail()}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise StackError(f"{child.name if child else url} did not answer {url} within {timeout:.0f} s")


class Stack:
    def __init__(self, settings: Settings, host: str, port: int, prefect_port: int) -> None:
        self.settings = settings
        self.api_workers = settings.api_workers
        self.host, self.port, self.prefect_port = host, port, prefect_port
        self.data_dir = settings.data_dir.resolve()
        self.children: list[Child] = []
        self.stopping = False

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["OLAKE_DATA_DIR"] = str(self.data_dir)
        env.setdefault("PREFECT_HOME", str(self.data_dir / "prefect"))
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        # The default 10 s poll would make every manual sync wait; 1 s costs little locally.
        env.setdefault("PREFECT_WORKER_QUERY_SECONDS", "1")
        env.setdefault("PREFECT_WORKER_PREFETCH_SECONDS", "5")
        return env

    def start(self) -> None:
        env = self.environment()
        bin_dir = Path(sys.executable).parent
        start_prefect = not os.environ.get("PREFECT_API_URL")
        ports = [("API", self.port)] + (
            [("Prefect server", self.prefect_port)] if start_prefect else []
        )
        for name, port in ports:
            if not port_is_free(self.host, port):
                raise StackError(
                    f"port {port} on {self.host} is taken; the {name} cannot listen there"
                )

        migrate(self.settings.sqlalchemy_url)
        print(f"metadata   {self._describe_db()}", flush=True)

        logs = self.data_dir / "logs"
        if start_prefect:
            prefect_db = self.data_dir / "prefect" / "prefect.db"
            prefect_db.parent.mkdir(parents=True, exist_ok=True)
            server_env = dict(
                env, PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{prefect_db}"
            )
            server = Child(
                "Prefect server",
                [
                    str(bin_dir / "prefect"),
                    "server",
                    "start",
                    "--host",
                    self.host,
                    "--port",
                    str(self.prefect_port),
                ],
                logs / "prefect-server.log",
                server_env,
            )
            self._launch(server)
            env["PREFECT_API_URL"] = f"http://{self.host}:{self.prefect_port}/api"
        api_url = env.get("PREFECT_API_URL") or os.environ["PREFECT_API_URL"]
        os.environ["PREFECT_API_URL"] = api_url

        # The API needs Prefect only per request: started now, /health answers while the
        # Prefect server (the slow part) is still starting.
        api = Child(
            "API",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "api.main:make_app",
                "--http",
                "api.main:NoDelayHTTP",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--no-access-log",
                "--workers",
                str(self.api_workers),
            ],
            logs / "api.log",
            dict(env, OLAKE_API_WORKERS=str(self.api_workers)),
        )
        self._launch(api)
        if start_prefect:
            wait_http(f"{api_url}/health", server, timeout=120)
        print(f"prefect    {api_url} (UI: {api_url.removesuffix('/api')})", flush=True)

        try:
            created = asyncio.run(ensure_work_pool(self.settings.work_pool))
        except Exception as exc:  # any client error here means the Prefect API is not usable
            raise StackError(f"the Prefect API at {api_url} is not usable: {exc}") from None
        print(f"work pool  {self.settings.work_pool} (process){' created' if created else ''}")

        worker = Child(
            "worker",
            [
                sys.executable,
                "-m",
                "deployments.worker",
                "--pool",
                self.settings.work_pool,
                "--name",
                f"olake-{socket.gethostname()}",
            ],
            logs / "worker.log",
            env,
            # Runs die with their worker and the next worker marks them Crashed (see
            # deployments/orphans.py), so a new worker is all a worker's death calls for.
            restart=True,
            # Runs are forked from the worker and inherit this: batch copies must not make
            # the API (and the UI polling it) slow. Measured: +24% API throughput under syncs.
            nice=10,
        )
        self._launch(worker)
        print(f"worker     polling pool {self.settings.work_pool} (log {worker.log})", flush=True)

        wait_http(f"http://{self.host}:{self.port}/health", api, timeout=60)
        print(f"api        http://{self.host}:{self.port} (docs: /docs, log {api.log})", flush=True)
        if self.settings.ui_dir is not None:
            print(f"ui         http://{self.host}:{self.port}/ (from {self.settings.ui_dir})")
        print("ready; Ctrl-C stops everything", flush=True)

    def _launch(self, child: Child) -> None:
        self.children.append(child)
        child.start()

    def _describe_db(self) -> str:
        url = self.settings.sqlalchemy_url
        return url.split("@")[-1] if "@" in url else url

    def supervise(self) -> int:
        """Wait until a signal or a child's death; restart a restartable child, else stop all."""
        while not self.stopping:
            for child in self.children:
                code = child.exited()
                if code is None:
                    continue
                if child.restart and self._restart(child, code):
                    continue
                print(
                    f"{child.name} exited with code {code}; stopping:\n{child.tail()}",
                    file=sys.stderr,
                    flush=True,
                )
                self.stop()
                return 1
            time.sleep(0.5)
        return 0

    def _restart(self, child: Child, code: int) -> bool:
        """Start `child` again after a backoff; False once it keeps dying at once."""
        if time.monotonic() - child.started_at >= HEALTHY_SECONDS:
            child.failures = 0
        child.failures += 1
        if child.failures > MAX_QUICK_RESTARTS:
            return False
        delay = min(BACKOFF_CAP, 2 ** (child.failures - 1))
        print(
            f"{child.name} exited with code {code}; restarting in {delay} s",
            file=sys.stderr,
            flush=True,
        )
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and not self.stopping:
            time.sleep(0.1)
        if not self.stopping:
            child.start()
        return True

    def stop(self) -> None:
        self.stopping = True
        for child in reversed(self.children):
            child.stop()


def up(settings: Settings, *, host: str, port: int, prefect_port: int) -> int:
    stack = Stack(settings, host, port, prefect_port)

    def on_signal(signum: int, _frame: object) -> None:
        stack.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        stack.start()
        code = stack.supervise()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        code = 1
    except KeyboardInterrupt:
        code = 0
    finally:
        stack.stop()
    print("stopped", flush=True)
    return code
