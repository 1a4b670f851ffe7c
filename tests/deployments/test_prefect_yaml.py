"""`prefect deploy --all` from the checkout deploys sync-job to the olake pool, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flows.test_sync import SCHEMA, make_job, seed
from tests.stack import Stack, api_client, prefect_client, tasks, wait_for_task

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.prefect
def test_deploy_all_then_run_a_job(prefect_stack: Stack, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=prefect_stack.prefect_api_url, PWD=str(ROOT))
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    prefect = str(Path(sys.executable).parent / "prefect")
    result = subprocess.run(
        [prefect, "--no-prompt", "deploy", "--all"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with prefect_client(prefect_stack) as client:
        deployment = client.read_deployment_by_name("sync-job/by-job-id")
    assert deployment.work_pool_name == "olake"
    assert deployment.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
    ]

    seed()
    api = api_client(prefect_stack)
    job = make_job(api, SCHEMA, tmp_path)
    with prefect_client(prefect_stack) as client:
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"job_id": job["id"]}
        )
    # The run joins the job's history although it came from another deployment.
    done = wait_for_task(api, job["id"], {"Completed", "Failed"}, run_id=str(run.id))
    assert done["status"] == "Completed", done
    assert [t["id"] for t in tasks(api, job["id"])] == [str(run.id)]
    api.close()
