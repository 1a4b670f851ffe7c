"""The api source: JSON records over HTTP, paginated, as one stream."""
