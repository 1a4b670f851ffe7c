"""Jobs as Prefect deployments, work pools, and the embedded stack (`prefect-olake up`)."""
