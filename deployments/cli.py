"""The `prefect-olake` command: up, worker, migrate, connector."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["connector"]:
        from connectors.cli import main as connector_main

        return connector_main(argv[1:])

    parser = argparse.ArgumentParser(prog="prefect-olake", description="Data ingestion on Prefect")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start Prefect server, work pool, worker and API")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000, help="API port")
    up.add_argument("--prefect-port", type=int, default=4200)
    up.add_argument("--data-dir", type=Path, default=Path(".olake"))
    up.add_argument("--ui-dir", type=Path, default=None, help="a built UI to serve (OLAKE_UI_DIR)")

    worker = commands.add_parser("worker", help="run a worker for a work pool (SIGTERM stops it)")
    worker.add_argument("--pool", default="olake")
    worker.add_argument("--name", default=None)

    migrate = commands.add_parser("migrate", help="apply the metadata migrations")
    migrate.add_argument("--data-dir", type=Path, default=None)

    commands.add_parser("connector", help="run a connector: connector <type> spec|check|...")

    args = parser.parse_args(argv)
    if getattr(args, "data_dir", None) is not None:
        os.environ["OLAKE_DATA_DIR"] = str(args.data_dir)
    if getattr(args, "ui_dir", None) is not None:
        if not (args.ui_dir / "index.html").is_file():
            parser.error(f"--ui-dir {args.ui_dir} has no index.html")
        os.environ["OLAKE_UI_DIR"] = str(args.ui_dir.resolve())

    from metadata.settings import get_settings

    if args.command == "up":
        from deployments.stack import up as run_up

        return run_up(
            get_settings(), host=args.host, port=args.port, prefect_port=args.prefect_port
        )
    if args.command == "worker":
        from deployments.worker import main as worker_main

        extra = ["--name", args.name] if args.name else []
        return worker_main(["--pool", args.pool, *extra])
    if args.command == "migrate":
        from metadata.db import migrate as run_migrate

        run_migrate(get_settings().sqlalchemy_url)
        print("metadata migrated")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
