"""Job -> deployment mapping without a server, and a Prefect outage as a 503 error."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployments import jobs
from deployments.prefect import prefect_client
from metadata.errors import Unavailable
from metadata.models import Destination, Job, JobStep, Source
from metadata.settings import Settings
from tests.services import free_port


def make_job(name: str = "orders", project: str = "olake") -> Job:
    step = JobStep(
        position=0,
        source=Source(name="pg", type="postgres"),
        destination=Destination(name="pq", type="parquet"),
    )
    return Job(id=7, uid="u-1", name=name, project_id=project, frequency="1-hours", steps=[step])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="development", data_dir=tmp_path)


class TestMapping:
    def test_name_is_the_job_name(self, settings: Settings) -> None:
        assert jobs.deployment_name(make_job("orders"), settings) == "orders"

    def test_name_drops_characters_prefect_refuses(self, settings: Settings) -> None:
        assert jobs.deployment_name(make_job("a/b%c"), settings) == "a-b-c"

    def test_other_projects_say_so(self, settings: Settings) -> None:
        assert jobs.deployment_name(make_job(project="p2"), settings) == "orders (p2)"

    def test_tags_and_description(self) -> None:
        job = make_job()
        assert jobs.tags(job) == [
            "project:olake",
            "job:u-1",
            "source:postgres",
            "destination:parquet",
        ]
        assert "pg (postgres) -> pq (parquet); 1-hours" in jobs.description(job)

    def test_schedule_from_shorthand(self) -> None:
        [schedule] = jobs._schedules(make_job())
        assert schedule.schedule.cron == "0 * * * *"

    def test_enabled_unless_api_tests(self, tmp_path: Path) -> None:
        assert jobs.enabled(Settings(env="development", data_dir=tmp_path)) is True
        assert jobs.enabled(Settings(env="test", data_dir=tmp_path)) is False
        forced = Settings(env="test", data_dir=tmp_path, prefect_enabled=True)
        assert jobs.enabled(forced) is True


class TestOutage:
    def test_unreachable_prefect_is_unavailable(self) -> None:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        url = f"http://127.0.0.1:{free_port()}/api"
        with (
            temporary_settings(updates={PREFECT_API_URL: url}),
            pytest.raises(Unavailable, match="Prefect is unavailable"),
            prefect_client() as client,
        ):
            client.read_flow_runs(limit=1)

    def test_missing_url_is_unavailable(self) -> None:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with (
            temporary_settings(restore_defaults={PREFECT_API_URL}),
            pytest.raises(Unavailable, match="PREFECT_API_URL"),
            prefect_client(),
        ):
            pass
