"""A `prefect-olake up` of a test's own (free ports, own data dir and database), to break."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from subprocess import Popen

import psutil

from tests.stack import Stack, running_stack


def own_stack(data_dir: Path, prefix: str) -> AbstractContextManager[tuple[Stack, Popen[bytes]]]:
    """A stack of the test's own, with its own database (named after `prefix`)."""
    return running_stack(data_dir, prefix)


def worker_pid(up: Popen[bytes]) -> int | None:
    """The pid of the stack's worker (a child of `up`), None while there is none."""
    for child in psutil.Process(up.pid).children():
        try:
            if "deployments.worker" in child.cmdline() and child.status() != "zombie":
                return int(child.pid)
        except psutil.NoSuchProcess:
            continue
    return None
