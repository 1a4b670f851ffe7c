"""A sync never connects to a denied host: the run fails at its check, naming the host."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.stack import BASE, Stack, api_client, sync_and_wait


def test_sync_to_a_metadata_address_fails_at_check(prefect_stack: Stack, tmp_path: Path) -> None:
    client = api_client(prefect_stack)
    name = f"deny-{uuid.uuid4().hex[:6]}"
    body = {
        "name": name,
        "source": {
            "name": f"{name}-api",
            "type": "api",
            "config": {"url": "http://169.254.169.254/latest/meta-data/"},
        },
        "destination": {
            "name": f"{name}-pq",
            "type": "parquet",
            "config": {"local_path": str(tmp_path)},
        },
        "frequency": "0 6 * * *",
    }
    created = client.post(f"{BASE}/jobs", json=body)
    assert created.status_code == 200, created.text
    job_id = created.json()["data"]["id"]
    task = sync_and_wait(client, job_id, timeout=60)
    assert task["status"] == "Failed"
    import time

    time.sleep(2)  # logs arrive 1-2 s after the run ends
    logs = client.get(f"{BASE}/jobs/{job_id}/task/{task['id']}/logs").json()["data"]["task_logs"]
    assert any("not allowed" in line["message"] for line in logs), logs
    assert not list(tmp_path.rglob("*.parquet"))
