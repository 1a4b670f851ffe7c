"""The OLake server contract (and what OLake's shipped UI calls beyond it)."""
