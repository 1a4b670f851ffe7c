"""PostgreSQL source: ADBC (binary COPY) reads in parallel primary-key or ctid chunks."""
