"""The csv source: delimited text files as one stream."""
