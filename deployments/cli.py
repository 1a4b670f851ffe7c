"""The `prefect-olake` command: up, worker, migrate, connector."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from metadata.settings import Settings


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

    rotate = commands.add_parser("rotate-key", help="re-encrypt every stored secret with a new key")
    rotate.add_argument("--new-key", required=True, help="the new secret key (32+ characters)")
    rotate.add_argument("--data-dir", type=Path, default=None)

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
    if args.command == "rotate-key":
        return rotate_key(get_settings(), args.new_key)
    return 2


def rotate_key(settings: Settings, new_key: str) -> int:
    """Re-encrypt, then store the key where it came from (the data dir's file on the default)."""
    from metadata.db import make_engine, make_session_factory, session_scope
    from metadata.rotation import rotate
    from metadata.secrets import cipher_for
    from metadata.settings import SECRET_KEY_FILE

    if len(new_key) < 32:
        print("error: the new key must have at least 32 characters", file=sys.stderr)
        return 2
    old = cipher_for(settings.secret_key_value())
    engine = make_engine(settings.sqlalchemy_url)
    with session_scope(make_session_factory(engine)) as db:
        rows, secrets = rotate(db, old, cipher_for(new_key))
    engine.dispose()
    print(f"re-encrypted {secrets} secrets in {rows} sources and destinations")
    if settings.secret_key is None:
        key_file = settings.data_dir / SECRET_KEY_FILE
        key_file.write_text(new_key)
        print(f"the new key is stored in {key_file}; restart the stack to use it")
    else:
        print("now set OLAKE_SECRET_KEY to the new key and restart the stack")
    print("sessions signed with the old key end: users log in again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
