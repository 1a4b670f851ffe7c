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
    tasks: Sequence[T],
    open_reader: OpenReader[T],
    threads: int,
    queued_batches: int = 4,
    *,
    one_at_a_time: bool = False,
) -> Iterator[tuple[int, pa.RecordBatch | None]]:
    """Yield `(task index, batch)` as workers read, then `(task index, None)` once a task is done.

    Batches of one task arrive in order and before its done marker, so a caller may treat the
    marker as "everything of this task has been handed over". The output queue is bounded:
    memory stays at about `threads + queued_batches` batches however large the table.
    Stopping early (closing the generator, an error) stops the workers and closes connections.

    With `one_at_a_time`, tasks are handed over whole, one after the other, while the other
    workers read ahead (see `_read_one_at_a_time`).
    """
    if one_at_a_time and threads > 1 and len(tasks) > 1:
        yield from _read_one_at_a_time(tasks, open_reader, threads, queued_batches)
        return
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(tasks)):
        todo.put(index)
    out: queue.Queue[tuple[str, int, Any]] = queue.Queue(maxsize=queued_batches)
    stop = threading.Event()

    def put(item: tuple[str, int, Any]) -> bool:
        return _put(out, item, stop)

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


def _read_one_at_a_time(
    tasks: Sequence[T], open_reader: OpenReader[T], threads: int, queued_batches: int
) -> Iterator[tuple[int, pa.RecordBatch | None]]:
    """Tasks handed over whole, in the order they start, each worker reading ahead in its lane.

    Interleaved batches would make a done marker a bad resume point: the rows handed over so
    far would hold part of tasks still running, which a resumed read reads again. Here, at a
    done marker, no other task has handed over anything. Each worker buffers up to
    `queued_batches` batches of its task (a chunk is a few batches), so the reads still overlap.
    """
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(tasks)):
        todo.put(index)
    started: queue.SimpleQueue[int] = queue.SimpleQueue()  # task indexes, in starting order
    lanes: dict[int, queue.Queue[pa.RecordBatch | None]] = {}
    errors: list[BaseException] = []
    stop = threading.Event()

    def put(lane: queue.Queue[pa.RecordBatch | None], item: pa.RecordBatch | None) -> bool:
        return _put(lane, item, stop)

    def work() -> None:
        try:
            with open_reader() as read:
                while not stop.is_set():
                    try:
                        index = todo.get_nowait()
                    except queue.Empty:
                        return
                    lane = lanes[index] = queue.Queue(maxsize=queued_batches)
                    started.put(index)
                    for batch in read(tasks[index]):
                        if not put(lane, batch):
                            return
                    put(lane, None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            errors.append(exc)

    def take(source: queue.SimpleQueue[int] | queue.Queue[Any]) -> Any:
        while True:
            if errors:
                raise errors[0]
            try:
                return source.get(timeout=_POLL)
            except queue.Empty:
                if not any(w.is_alive() for w in workers) and source.empty():
                    raise errors[0] if errors else RuntimeError("readers stopped early") from None

    workers = [
        threading.Thread(target=work, name=f"sql-read-{i}", daemon=True)
        for i in range(min(threads, len(tasks)))
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in range(len(tasks)):
            index = take(started)
            lane = lanes.pop(index)
            while (batch := take(lane)) is not None:
                yield index, batch
            yield index, None
    finally:
        stop.set()
        for worker in workers:
            while worker.is_alive():  # a worker inside a driver call stops after it
                worker.join(timeout=_POLL)


def _put(target: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put, waiting while the queue is full; False once `stop` is set (the reader has gone)."""
    while not stop.is_set():
        try:
            target.put(item, timeout=_POLL)
            return True
        except queue.Full:
            continue
    return False
