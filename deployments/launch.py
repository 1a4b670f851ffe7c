"""The worker's command for a flow run: hand it to the warm process, or start it cold.

Imports only the standard library, so it starts in milliseconds. It passes its environment,
working directory and stdio to `deployments.warm`, which forks a process that already imported
Prefect and the flows; signals it receives (the worker's SIGTERM) go to that process, and its
exit code is ours. Without a warm process it becomes `python -m prefect.engine` itself.
If the worker dies (SIGKILL, OOM) we exit too, and the keeper then kills the run: a run
nobody supervises could not be cancelled, and the next worker marks it Crashed instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys

SOCKET_ENV = "OLAKE_WARM_SOCKET"


def cold() -> None:
    os.execv(sys.executable, [sys.executable, "-m", "prefect.engine", *sys.argv[1:]])


_PARENT_POLL = 0.5  # seconds between checks that the worker is still our parent


def read_line(sock: socket.socket, parent: int | None = None) -> str | None:
    """A line from the warm process; None if it hung up or `parent` (the worker) died."""
    data = b""
    sock.settimeout(_PARENT_POLL if parent is not None else None)
    while not data.endswith(b"\n"):
        try:
            chunk = sock.recv(64)
        except TimeoutError:
            if os.getppid() != parent:  # re-parented: the worker that started us is gone
                return None
            continue
        if not chunk:
            return None
        data += chunk
    return data.decode().strip()


def main() -> int:
    parent = os.getppid()
    path = os.environ.get(SOCKET_ENV)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        if not path:
            raise OSError("no warm process")
        sock.connect(path)
    except OSError:
        sock.close()
        cold()
    payload = json.dumps({"env": dict(os.environ), "cwd": os.getcwd(), "argv": sys.argv[1:]})
    data = payload.encode()
    socket.send_fds(sock, [len(data).to_bytes(8, "big")], [0, 1, 2])
    sock.sendall(data)
    pid_line = read_line(sock)
    if pid_line is None:
        return 1
    pid = int(pid_line)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    code = read_line(sock, parent)
    return int(code) if code is not None else 1


if __name__ == "__main__":
    sys.exit(main())
