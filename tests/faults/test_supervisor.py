"""`prefect-olake up` restarts a worker that dies, and gives up on one that keeps dying."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from deployments import stack as stack_module
from deployments.stack import MAX_QUICK_RESTARTS, Child, Stack
from metadata.settings import Settings


def test_a_worker_that_keeps_dying_stops_the_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(stack_module, "BACKOFF_CAP", 0)  # the backoff's length is not the point
    stack = Stack(Settings(env="test", data_dir=tmp_path), "127.0.0.1", 0, 0)
    argv = [sys.executable, "-c", "print('cannot start'); raise SystemExit(3)"]
    worker = Child("worker", argv, tmp_path / "worker.log", dict(os.environ), restart=True)
    stack.children.append(worker)
    worker.start()
    assert stack.supervise() == 1
    err = capsys.readouterr().err
    assert err.count("worker exited with code 3; restarting in 0 s") == MAX_QUICK_RESTARTS
    assert "worker exited with code 3; stopping:\ncannot start" in err
