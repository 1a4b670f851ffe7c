"""A run's logs and the job's state as a tar.gz, as OLake's UI downloads them."""

from __future__ import annotations

import io
import json
import tarfile
import time
from typing import Any

from connectors.logging import mask


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
    archive.addfile(info, io.BytesIO(data))


def log_archive(run_id: str, lines: list[dict[str, Any]], states: dict[str, Any]) -> bytes:
    """`olake.log` (JSON lines, like OLake's connector logs) and `state.json`, gzipped."""
    log = "".join(
        mask(json.dumps({"level": line["level"], "time": line["time"], "message": line["message"]}))
        + "\n"
        for line in lines
    )
    state = {"type": "STREAM", "streams": [{"stream": k, "state": v} for k, v in states.items()]}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        _add(archive, f"{run_id}/olake.log", log.encode())
        _add(archive, f"{run_id}/state.json", json.dumps(state, indent=2, default=str).encode())
    return buffer.getvalue()
