"""Start and stop `prefect-olake up` for a benchmark, in a temporary data dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stack(
    data_dir: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str, str]:
    """(process, API URL, Prefect API URL) once /health/detailed answers 200."""
    port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OLAKE_"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.update(extra_env or {})
    log = (data_dir / "up.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "deployments.cli", "up", "--port", str(port)]
        + ["--prefect-port", str(prefect_port), "--data-dir", str(data_dir)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )
    api = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"prefect-olake up exited:\n{(data_dir / 'up.log').read_text()}")
        try:
            if httpx.get(f"{api}/health/detailed", timeout=5).status_code == 200:
                return process, api, f"http://127.0.0.1:{prefect_port}/api"
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the stack did not become healthy in 180 s")


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace (or append) one `## ` section of a markdown file, keeping the others."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        text = text.rstrip() + f"\n\n{heading}\n\n{body.strip()}\n"
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        text = "\n".join([*lines[:start], heading, "", body.strip(), "", *lines[end:]]).rstrip()
        text += "\n"
    path.write_text(text)
