"""OLake destination endpoints (the cases shared with sources run here with plural=destinations)."""

import pytest

from tests.api.olake.instance_cases import (  # noqa: F401 - collected by pytest
    TestCreate,
    TestDelete,
    TestList,
    TestUpdate,
    TestVersions,
)


@pytest.fixture
def plural() -> str:
    return "destinations"
