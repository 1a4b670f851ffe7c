"""Services shared by every dialect: routers parse and shape, services decide."""
