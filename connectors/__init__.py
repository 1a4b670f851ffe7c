"""Connectors: the spec/check/discover/sync protocol, native sources and destinations."""
