"""A warm process for flow runs: Prefect and the flows imported once, a fork per run.

A new interpreter per run spends one to two seconds importing Prefect before the run is
Running; forking this process skips that. `deployments.launch` connects to the socket and
sends its environment and stdio; per run we fork a keeper that forks the run's process,
tells the launcher its pid, waits for it and reports its exit code. A keeper whose launcher
vanished (the worker killed it, or the worker died and took it along) kills the run. We
exit when the worker that started us dies, so a restarted worker leaves no stray warm process.
Code changes need a worker restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
from typing import Any


def _read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    header, fds, _flags, _addr = socket.recv_fds(conn, 8, 3)
    size = int.from_bytes(header, "big")
    data = b""
    while len(data) < size:
        chunk = conn.recv(min(1 << 16, size - len(data)))
        if not chunk:
            raise ConnectionError("launcher went away")
        data += chunk
    return json.loads(data), list(fds)


def _run(request: dict[str, Any], fds: list[int]) -> int:
    """In the run's process: take the launcher's world, then run the engine as its main."""
    import atexit
    import runpy
    import warnings

    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()  # settings were read from the warm process's environment
    sys.argv = ["prefect.engine", *request["argv"]]
    # runpy warns that the module is already imported: here that is the point.
    warnings.filterwarnings("ignore", message=".*found in sys.modules", category=RuntimeWarning)
    code = 0
    try:
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()  # Prefect drains its log and event workers here
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _keep(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> int:
    """In the keeper: fork the run, report its pid and exit code; kill it if the launcher dies."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        conn.close()
        os.setsid()
        os._exit(_run(request, fds))
    for fd in fds:
        os.close(fd)
    conn.sendall(f"{pid}\n".encode())
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            conn.sendall(f"{code if code >= 0 else 128 - code}\n".encode())
            return 0
        readable, _, _ = select.select([conn], [], [], 0.2)
        if readable and not conn.recv(1):
            os.kill(pid, signal.SIGKILL)  # the launcher is gone: nobody waits for this run
            os.waitpid(pid, 0)
            return 0


def serve(path: str) -> None:
    import prefect.engine  # noqa: F401 - imported now so that each run does not
    import prefect.flow_engine  # noqa: F401

    import flows.sync  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    parent = os.getppid()
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".tmp")
    os.replace(path + ".tmp", path)  # launchers see the socket only once it accepts
    server.listen(64)
    server.settimeout(1.0)
    while os.getppid() == parent:  # re-parented: our worker died, a new one starts its own
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        try:
            request, fds = _read_request(conn)
        except (OSError, ValueError):
            conn.close()
            continue
        if os.fork() == 0:
            server.close()
            code = 1
            try:
                code = _keep(conn, request, fds)
            finally:
                os._exit(code)
        conn.close()
        for fd in fds:
            os.close(fd)
    server.close()
    with contextlib.suppress(OSError):
        os.unlink(path)
        os.rmdir(os.path.dirname(path))  # the worker's mkdtemp, which it can no longer remove


if __name__ == "__main__":
    serve(sys.argv[1])
