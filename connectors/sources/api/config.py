"""Config of the api source; imports pydantic and nothing heavy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from connectors.spec import ConnectorConfig, Secret


class APIConfig(ConnectorConfig):
    """A JSON endpoint whose response holds a list of records, possibly over several pages."""

    url: str = Field(..., pattern=r"^https?://", title="URL", description="The endpoint to GET")
    headers: dict[str, Secret] = Field(
        default_factory=dict, title="Headers", description="HTTP headers, e.g. Authorization"
    )
    params: dict[str, str] = Field(
        default_factory=dict, title="Query parameters", description="Sent with every request"
    )
    records_path: str = Field(
        "",
        title="Records path",
        description="Dotted path to the list of records; empty: the whole body",
    )
    stream_name: str = Field("records", min_length=1, title="Stream name")
    primary_key: list[str] = Field(default_factory=list, title="Primary key")
    pagination: Literal["none", "page", "cursor"] = Field("none", title="Pagination")
    page_param: str = Field("page", description="Query parameter holding the page number")
    start_page: int = Field(1, description="Number of the first page")
    page_size_param: str | None = Field(None, description="Query parameter of the page size")
    page_size: int = Field(100, ge=1, description="Records per page, when page_size_param is set")
    cursor_path: str = Field(
        "next", description="Dotted path to the next-page cursor in a response (cursor pagination)"
    )
    cursor_param: str = Field("cursor", description="Query parameter the cursor is sent in")
    since_param: str | None = Field(
        None,
        description="Incremental reads send the last cursor value in this query parameter",
    )
    max_pages: int | None = Field(None, ge=1, description="Stop after this many pages")
    timeout: float = Field(30.0, gt=0, description="Seconds per request")
    max_retries: int = Field(5, ge=0, description="Retries on 429, 5xx and connection errors")
    backoff_seconds: float = Field(
        0.5, ge=0, description="First retry delay; doubles on every retry"
    )
