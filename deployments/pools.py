"""Work pools: make sure the process pool that job deployments target exists."""

from __future__ import annotations


async def ensure_work_pool(name: str, type: str = "process") -> bool:
    """Create the pool when missing; True when it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    async with get_client() as client:
        try:
            await client.read_work_pool(name)
            return False
        except ObjectNotFound:
            pass
        try:
            await client.create_work_pool(WorkPoolCreate(name=name, type=type))
        except ObjectAlreadyExists:
            return False
        return True
