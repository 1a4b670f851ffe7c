"""OLake destinations: CRUD and versions (shared shape with sources)."""

from api.olake.instances import make_router
from metadata.models import Destination

router = make_router(Destination, "destinations")
