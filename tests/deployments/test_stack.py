"""`prefect-olake up`: starts every part, serves /health, stops all children on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.services import free_port

UP = [sys.executable, "-m", "deployments.cli", "up"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OLAKE_"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return env


class TestUp:
    def test_port_taken_exits_nonzero_with_message(self, tmp_path: Path) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = subprocess.run(
                [
                    *UP,
                    "--port",
                    str(port),
                    "--prefect-port",
                    str(free_port()),
                    "--data-dir",
                    str(tmp_path),
                ],
                env=_env(),
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
            )
        assert result.returncode != 0
        assert f"port {port}" in result.stderr and "taken" in result.stderr

    def test_unreachable_prefect_exits_nonzero(self, tmp_path: Path) -> None:
        env = dict(_env(), PREFECT_API_URL=f"http://127.0.0.1:{free_port()}/api")
        result = subprocess.run(
            [*UP, "--port", str(free_port()), "--data-dir", str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode != 0
        assert "Prefect API" in result.stderr and "not usable" in result.stderr

    def test_starts_serves_health_and_stops_on_sigterm(self, tmp_path: Path) -> None:
        port, prefect_port = free_port(), free_port()
        process = subprocess.Popen(
            [
                *UP,
                "--port",
                str(port),
                "--prefect-port",
                str(prefect_port),
                "--data-dir",
                str(tmp_path),
            ],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 90
            detailed = None
            while time.monotonic() < deadline:
                try:
                    detailed = httpx.get(f"http://127.0.0.1:{port}/health/detailed", timeout=5)
                    if detailed.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.5)
            assert detailed is not None and detailed.status_code == 200, detailed and detailed.text
            components = detailed.json()["components"]
            assert components["workers"]["online"] >= 1
            children = psutil.Process(process.pid).children(recursive=True)
            assert len(children) >= 3  # Prefect server, worker, API
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        for line in ("prefect", "work pool", "worker", "api", "stopped"):
            assert line in output
        assert (tmp_path / "metadata.db").exists() and (
            tmp_path / "prefect" / "prefect.db"
        ).exists()
        time.sleep(1)
        assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
