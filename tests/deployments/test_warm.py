"""Warm runs: the launcher hands a run to the warm process and relays its output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployments.launch import SOCKET_ENV


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "runs.sock")
    process = subprocess.Popen([sys.executable, "-m", "deployments.warm", path])
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        assert process.poll() is None and time.monotonic() < deadline, "no warm process"
        time.sleep(0.1)
    yield path
    process.terminate()
    process.wait(10)


def launch(socket_path: str | None, *argv: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if k != SOCKET_ENV}
    if socket_path:
        env[SOCKET_ENV] = socket_path
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "deployments.launch", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


class TestLaunch:
    def test_warm_run_relays_output_and_exit_code(self, warm: str) -> None:
        result, seconds = launch(warm, "not-a-flow-run-id")
        assert result.returncode == 1
        assert "Invalid flow run id" in result.stdout + result.stderr
        cold, cold_seconds = launch(None, "not-a-flow-run-id")
        assert cold.returncode == 1 and "Invalid flow run id" in cold.stdout + cold.stderr
        assert seconds < cold_seconds  # no Prefect import on the warm path

    def test_missing_warm_process_falls_back_to_cold(self, tmp_path: Path) -> None:
        result, _ = launch(str(tmp_path / "gone.sock"), "not-a-flow-run-id")
        assert result.returncode == 1 and "Invalid flow run id" in result.stdout + result.stderr
