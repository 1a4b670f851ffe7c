"""Conformance suites that every connector's tests subclass."""

from connectors.testing.destination import DestinationConformance
from connectors.testing.source import SourceConformance

__all__ = ["DestinationConformance", "SourceConformance"]
