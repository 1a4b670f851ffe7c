"""OLake source endpoints (the cases shared with destinations run here with plural=sources)."""

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
    return "sources"
