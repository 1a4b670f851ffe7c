"""Clear-destination runs: drop some streams' data from the destination and forget their state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors import runner
from connectors.base import ConfiguredStream
from connectors.catalog import load
from flows import context
from metadata import state as states

if TYPE_CHECKING:
    from flows.context import JobContext


def _streams(catalog: dict[str, Any]) -> dict[str, ConfiguredStream]:
    """Every stream the catalog describes, selected or not: a clear may follow a deselection."""
    found = {}
    for item in load(catalog).get("streams") or []:
        stream = item.get("stream", item)
        configured = ConfiguredStream(
            name=stream["name"],
            namespace=stream.get("namespace") or "",
            destination_table=stream.get("destination_table") or None,
        )
        found[configured.key] = configured
    return found


@task(name="clear", task_run_name="clear {key}", cache_policy=NO_CACHE)
def clear_stream(job_id: int, step_id: int, key: str) -> None:
    step = context.step(job_id, step_id)
    stream = _streams(context.catalog(job_id, step_id))[key]
    destination = step.destination
    runner.clear_stream(destination.type, destination.version, destination.config, stream)
    with context.session() as db:
        states.clear_states(db, step_id=step_id, streams=[key])
    get_run_logger().info("cleared %s from %s and forgot its state", key, destination.name)


def clear_job_streams(job: JobContext, keys: list[str]) -> int:
    """Clear each named stream in every step that has it; the count of streams cleared."""
    cleared = 0
    for step in job.steps:
        known = _streams(context.catalog(job.id, step.id))
        for key in keys:
            if key in known:
                clear_stream(job.id, step.id, key)
                cleared += 1
    missing = set(keys) - {k for s in job.steps for k in _streams(context.catalog(job.id, s.id))}
    if missing:
        get_run_logger().warning(
            "not in the job's catalog, left alone: %s", ", ".join(sorted(missing))
        )
    return cleared
