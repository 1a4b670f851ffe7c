"""`prefect-olake connector <type> spec|check|discover|sync|clear-destination`, OLake-style.

Every result and log line is one JSON object on stdout, as OLake's images print them;
`streams.json` and `state.json` are written beside the config file. A progress bar goes to
stderr when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connectors import logging as secret_logging
from connectors.errors import ConnectorError, UnknownConnectorError

log = logging.getLogger("connectors.cli")


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


class JSONLineHandler(logging.Handler):
    """Logs as OLake's `{"type": "LOG", "log": {"level", "message"}}` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        message = self.format(record)
        emit({"type": "LOG", "log": {"level": record.levelname.lower(), "message": message}})


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prefect-olake connector", description=__doc__)
    p.add_argument("type", help="source type, e.g. postgres, csv, api")
    p.add_argument("command", choices=["spec", "check", "discover", "sync", "clear-destination"])
    p.add_argument("--config", type=Path, help="source config JSON file")
    p.add_argument("--catalog", "--streams", dest="catalog", type=Path, help="streams.json")
    p.add_argument("--state", type=Path, help="state.json to resume from")
    p.add_argument("--destination", type=Path, help="destination config JSON file")
    p.add_argument("--destination-type", help="parquet or duckdb (default: the config's type)")
    p.add_argument("--version", dest="source_version", help="source version (default: newest)")
    p.add_argument("--destination-version", help="destination version (default: newest)")
    p.add_argument("--timeout", type=float, help="seconds for check or discover")
    return p


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ConnectorError(f"file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ConnectorError(f"{path} is not valid JSON: {exc}") from None


def write_json(path: Path, obj: Any) -> None:
    """Write via a temporary file and a rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str))
    os.replace(tmp, path)


def beside(args: argparse.Namespace, name: str) -> Path:
    anchor = args.config or args.destination
    return (anchor.parent if anchor else Path.cwd()) / name


def destination_of(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    if args.destination is None:
        raise ConnectorError("--destination is required")
    config = read_json(args.destination)
    kind = args.destination_type or config.get("type")
    if not kind:
        raise ConnectorError("the destination config has no type: pass --destination-type")
    secret_logging.register_config("destination", kind.lower(), args.destination_version, config)
    return kind.lower(), config


def source_config(args: argparse.Namespace) -> dict[str, Any]:
    if args.config is None:
        raise ConnectorError("--config is required")
    config: dict[str, Any] = read_json(args.config)
    secret_logging.register_config("source", args.type, args.source_version, config)
    return config


def cmd_spec(args: argparse.Namespace) -> int:
    from connectors.spec import spec

    if args.destination_type:
        result = spec("destination", args.destination_type.lower(), args.destination_version)
    else:
        result = spec("source", args.type, args.source_version)
    emit({"type": "SPEC", "spec": result})
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from connectors import runner

    timeout = args.timeout or 10.0
    if args.destination is not None and args.config is None:
        kind, config = destination_of(args)
        result = runner.check("destination", kind, args.destination_version, config, timeout)
    else:
        config = source_config(args)
        result = runner.check("source", args.type, args.source_version, config, timeout)
    status = {**result.as_dict(), "message": secret_logging.mask(result.message)}
    emit({"type": "CONNECTION_STATUS", "connectionStatus": status})
    return 0 if result.status == "SUCCEEDED" else 1


def cmd_discover(args: argparse.Namespace) -> int:
    from connectors import runner

    config = source_config(args)
    previous = read_json(args.catalog) if args.catalog else None
    catalog = runner.discover(
        args.type, args.source_version, config, previous, args.timeout or 60.0
    )
    write_json(beside(args, "streams.json"), catalog)
    emit({"type": "CATALOG", "catalog": catalog})
    return 0


def catalog_of(args: argparse.Namespace, config: dict[str, Any]) -> dict[str, Any]:
    from connectors import runner

    path = args.catalog or beside(args, "streams.json")
    if path.exists():
        catalog: dict[str, Any] = read_json(path)
        return catalog
    log.info("no catalog given: discovering every stream")
    return runner.discover(args.type, args.source_version, config)


def cmd_sync(args: argparse.Namespace) -> int:
    from connectors import runner
    from connectors.catalog import configured_streams
    from connectors.state import stream_state, with_stream_state

    config = source_config(args)
    dest_type, dest_config = destination_of(args)
    streams = configured_streams(catalog_of(args, config))
    state_path = beside(args, "state.json")
    document = read_json(args.state) if args.state else None
    with progress(len(streams)) as report:
        for stream in streams:
            log.info("syncing %s (%s)", stream.key, stream.sync_mode)

            def saved(state: dict[str, Any], stream: Any = stream) -> None:
                nonlocal document
                document = with_stream_state(document, stream, state)
                write_json(state_path, document)
                emit({"type": "STATE", "state": document})

            result = runner.sync_stream(
                source_type=args.type,
                source_version=args.source_version,
                source_config=config,
                destination_type=dest_type,
                destination_version=args.destination_version,
                destination_config=dest_config,
                stream=stream,
                state=stream_state(document, stream),
                on_checkpoint=saved,
                on_progress=functools.partial(progressed, report, stream.key),
            )
            if result.state is not None and result.state != stream_state(document, stream):
                saved(result.state)  # a source whose last checkpoint was not reported
            log.info(
                "%s: %d rows, %d bytes in %.2f s",
                stream.key,
                result.rows,
                result.bytes,
                result.seconds,
            )
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    from connectors import runner
    from connectors.catalog import configured_streams
    from connectors.state import with_stream_state

    dest_type, dest_config = destination_of(args)
    if args.catalog is None:
        raise ConnectorError("--streams is required")
    document = read_json(args.state) if args.state else None
    for stream in configured_streams(read_json(args.catalog)):
        runner.clear_stream(dest_type, args.destination_version, dest_config, stream)
        document = with_stream_state(document, stream, None)
        log.info("cleared %s", stream.key)
    if document is not None:
        write_json(args.state or beside(args, "state.json"), document)
        emit({"type": "STATE", "state": document})
    return 0


def progressed(report: Callable[[str, int], None], key: str, rows: int, size: int) -> None:
    report(key, rows)


@contextmanager
def progress(total: int) -> Iterator[Callable[[str, int], None]]:
    """A rich progress bar on stderr when it is a terminal, else a no-op reporter."""
    if not sys.stderr.isatty():
        yield lambda key, rows: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
    )
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        tasks: dict[str, Any] = {}

        def report(key: str, rows: int) -> None:
            if key not in tasks:
                tasks[key] = bar.add_task(key, total=None)
            bar.update(tasks[key], completed=rows)

        yield report


COMMANDS = {
    "spec": cmd_spec,
    "check": cmd_check,
    "discover": cmd_discover,
    "sync": cmd_sync,
    "clear-destination": cmd_clear,
}


def main(argv: list[str] | None = None) -> int:
    """Run one connector command; 0 on success, 1 on a connector error, 2 on bad usage."""
    args = parser().parse_args(argv)
    handler = JSONLineHandler()
    secret_logging.install(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        return COMMANDS[args.command](args)
    except (ConnectorError, UnknownConnectorError) as exc:
        message = exc.user_message if isinstance(exc, ConnectorError) else str(exc)
        log.error("%s", message)
        if args.command == "check":
            emit(
                {
                    "type": "CONNECTION_STATUS",
                    "connectionStatus": {
                        "status": "FAILED",
                        "message": secret_logging.mask(message),
                    },
                }
            )
        return 1
    finally:
        root.removeHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
