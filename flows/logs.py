"""Run logging: connector logs go to the flow run's Prefect logs, every secret masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors.logging import SecretFilter

_CONNECTORS = "connectors"
_PREFECT_LOGGERS = ("prefect", "prefect.flow_runs", "prefect.task_runs", "")
_DRAIN_SECONDS = 30  # a loaded server may take seconds; never block a run's end forever


class _RunId(logging.Filter):
    """Tag records with the flow run id: connector threads have no Prefect run context."""

    def __init__(self, flow_run_id: str) -> None:
        super().__init__()
        self.flow_run_id = flow_run_id

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "flow_run_id", None):
            record.flow_run_id = self.flow_run_id
        return True


def route_connector_logs(flow_run_id: Any) -> None:
    """Send `connectors.*` INFO+ logs to this run's logs; mask secrets on every run handler."""
    from prefect.logging.handlers import APILogHandler

    secrets = SecretFilter()
    connectors_log = logging.getLogger(_CONNECTORS)
    connectors_log.setLevel(logging.INFO)
    for handler in list(connectors_log.handlers):
        if isinstance(handler, APILogHandler):
            connectors_log.removeHandler(handler)  # a previous run in this process
    handler = APILogHandler(level=logging.INFO)
    handler.addFilter(_RunId(str(flow_run_id)))
    handler.addFilter(secrets)
    connectors_log.addHandler(handler)
    for name in _PREFECT_LOGGERS:
        for existing in logging.getLogger(name).handlers:
            if not any(isinstance(f, SecretFilter) for f in existing.filters):
                existing.addFilter(secrets)


@contextmanager
def logs_sent_before_end() -> Iterator[None]:
    """Send the run's queued logs before its final state: a finished run's logs are complete.

    Prefect ships logs from a background worker every few seconds, and sets the final state
    before that worker drains; a client reading logs as soon as it sees Failed would miss
    the very lines that say why.
    """
    from prefect._internal.concurrency.event_loop import get_running_loop
    from prefect.logging.handlers import APILogWorker

    try:
        yield
    finally:
        if get_running_loop() is None:  # a sync flow's thread: blocking here is safe
            APILogWorker.drain_all(timeout=_DRAIN_SECONDS)
