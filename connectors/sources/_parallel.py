"""Read chunks on worker threads, each with its own connection, into one stream of batches."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from typing import Any, TypeVar

import pyarrow as pa

T = TypeVar("T")

# A worker opens one connection and gets back a function reading one task with it.
OpenReader = Callable[[], AbstractContextManager[Callable[[T], Iterator[pa.RecordBatch]]]]

_POLL = 0.1  # seconds between checks of the stop flag while a queue is full or empty


def read_parallel(
    tasks: Sequence[T], open_reader: OpenReader[T], threads: int, queued_batches: int = 4
) -> Iterator[tuple[int, pa.RecordBatch | None]]:
    """Yield `(task index, batch)` as workers read, then `(task index, None)` once a task is done.

    Batches of one task arrive in order and before its done marker, so a caller may treat the
    marker as "everything of this task has been handed over". The output queue is bounded:
    memory stays at about `threads + queued_batches` batches however large the table.
    Stopping early (closing the generator, an error) stops the workers and closes connections.
    """
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(tasks)):
        todo.put(index)
    out: queue.Queue[tuple[str, int, Any]] = queue.Queue(maxsize=queued_batches)
    stop = threading.Event()

    def put(item: tuple[str, int, Any]) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            with open_reader() as read:
                while not stop.is_set():
                    try:
                        index = todo.get_nowait()
                    except queue.Empty:
                        break
                    for batch in read(tasks[index]):
                        if not put(("batch", index, batch)):
                            return
                    put(("done", index, None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(("error", -1, exc))
        finally:
            put(("exit", -1, None))

    count = max(1, min(threads, len(tasks)))
    workers = [
        threading.Thread(target=work, name=f"sql-read-{i}", daemon=True) for i in range(count)
    ]
    for worker in workers:
        worker.start()
    running = count
    try:
        while running:
            kind, index, payload = out.get()
            if kind == "batch":
                yield index, payload
            elif kind == "done":
                yield index, None
            elif kind == "error":
                raise payload
            else:
                running -= 1
    finally:
        stop.set()
        for worker in workers:
            # Drain so that a worker blocked on a full queue sees the stop flag and exits.
            while worker.is_alive():
                with suppress(queue.Empty):
                    out.get(timeout=_POLL)
                worker.join(timeout=0)
