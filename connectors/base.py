"""The connector protocol: spec, check, discover and sync, with records as Arrow batches.

A source reads configured streams and yields `pyarrow.RecordBatch`es and `Checkpoint`s;
a destination opens one `StreamWriter` per stream, and acknowledges a checkpoint only
after every batch before it is durable. Nothing here imports a database driver.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol, TypeAlias, runtime_checkable

import pyarrow as pa
from pydantic import BaseModel


class SyncMode(StrEnum):
    FULL_REFRESH = "full_refresh"
    INCREMENTAL = "incremental"
    CDC = "cdc"
    STRICT_CDC = "strict_cdc"


class CheckStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class CheckResult:
    status: CheckStatus
    message: str = ""

    @classmethod
    def succeeded(cls, message: str = "") -> CheckResult:
        return cls(CheckStatus.SUCCEEDED, message)

    @classmethod
    def failed(cls, message: str) -> CheckResult:
        return cls(CheckStatus.FAILED, message)

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status.value, "message": self.message}


@dataclass
class DiscoveredStream:
    """What discover finds: one table, file set or endpoint."""

    name: str
    namespace: str
    schema: pa.Schema
    primary_key: list[str] = field(default_factory=list)
    cursor_fields: list[str] = field(default_factory=list)
    sync_modes: list[SyncMode] = field(
        default_factory=lambda: [SyncMode.FULL_REFRESH, SyncMode.INCREMENTAL]
    )

    @property
    def key(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name


@dataclass
class ConfiguredStream:
    """A selected stream of a catalog, as a sync reads and writes it."""

    name: str
    namespace: str
    sync_mode: SyncMode = SyncMode.FULL_REFRESH
    cursor_field: str | None = None
    primary_key: list[str] = field(default_factory=list)
    columns: list[str] | None = None  # None: every column
    destination_table: str | None = None
    json_schema: dict[str, Any] = field(default_factory=dict)  # the catalog's type_schema

    @property
    def key(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    @property
    def table_name(self) -> str:
        return self.destination_table or self.name


@dataclass(frozen=True)
class Checkpoint:
    """A resumable position in a stream: persist `state` once the data before it is durable."""

    state: dict[str, Any]


# What `Source.read` yields: data, or a point the sync may resume from.
ReadItem: TypeAlias = pa.RecordBatch | Checkpoint


@runtime_checkable
class Source(Protocol):
    type: ClassVar[str]
    version: ClassVar[str]
    config_model: ClassVar[builtins.type[BaseModel]]

    def check(self, config: BaseModel) -> CheckResult: ...

    def discover(self, config: BaseModel) -> list[DiscoveredStream]: ...

    def read(
        self, config: BaseModel, stream: ConfiguredStream, state: dict[str, Any] | None
    ) -> Iterator[ReadItem]: ...


class StreamWriter(Protocol):
    def write(self, batch: pa.RecordBatch) -> None: ...

    def checkpoint(self) -> None:
        """Make every batch written so far durable (visible to readers of the destination)."""

    # Optional, for exactly-once resumes: `stage() -> list[str]` makes the batches so far
    # durable but not visible and names what it staged; the runner commits the state with
    # those names, then calls the destination's `publish(config, stream, names)`, which makes
    # them visible and does nothing for names already published. A resumed run publishes
    # what its predecessor's committed state names (it may have died in between).

    def commit(self) -> None:
        """Finish the stream: everything is durable and temporary files are gone."""

    def abort(self) -> None:
        """Undo what was not made durable; leave no partial file visible."""


@runtime_checkable
class Destination(Protocol):
    type: ClassVar[str]
    version: ClassVar[str]
    config_model: ClassVar[builtins.type[BaseModel]]

    def check(self, config: BaseModel) -> CheckResult: ...

    def open_writer(
        self, config: BaseModel, stream: ConfiguredStream, schema: pa.Schema
    ) -> StreamWriter: ...

    def clear(self, config: BaseModel, stream: ConfiguredStream) -> None:
        """Drop the stream's data from the destination."""
