"""Flow runs of a whole project (every job's), read by the project tag in one query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from deployments.prefect import prefect_client

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun


def project_runs(project_id: str, limit: int = 200) -> list[FlowRun]:
    """The project's runs newest first, without runs the scheduler created for the future."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    flow_run_filter = FlowRunFilter(
        tags=FlowRunFilterTags(all_=[f"project:{project_id}"]),
        expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC)),
    )
    with prefect_client() as client:
        return client.read_flow_runs(
            flow_run_filter=flow_run_filter, sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=limit
        )


def read_project_run(project_id: str, run_id: str) -> FlowRun | None:
    """One run, if it belongs to the project; None for unknown ids or other projects' runs."""
    from prefect.exceptions import ObjectNotFound

    try:
        uuid = UUID(run_id)
    except ValueError:
        return None
    with prefect_client() as client:
        try:
            run = client.read_flow_run(uuid)
        except ObjectNotFound:
            return None
    return run if f"project:{project_id}" in (run.tags or []) else None
