"""OLake sources: CRUD and versions (shared shape), plus discover."""

from api.olake.instances import make_router
from metadata.models import Source

router = make_router(Source, "sources")
