"""`prefect-olake rotate-key`: every stored secret re-encrypted, still readable, old key useless."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken
from fastapi.testclient import TestClient

from api.app import create_app
from metadata.db import migrate
from metadata.models import Source
from metadata.secrets import cipher_for, decrypt_config
from metadata.settings import Settings

NEW_KEY = "n" * 40


def test_rotate_key_command(tmp_path: Path) -> None:
    settings = Settings(env="test", data_dir=tmp_path)
    migrate(settings.sqlalchemy_url)
    with TestClient(create_app(settings)) as client:
        client.post("/signup", json={"username": "a", "password": "p"})
        client.post("/login", json={"username": "a", "password": "p"})
        config = {"host": "h", "username": "u", "database": "d", "password": "rotate-me-123"}
        body = {"name": "pg", "type": "postgres", "config": config}
        assert client.post("/api/v1/project/123/sources", json=body).status_code == 200
    old_key = settings.secret_key_value()

    env = {k: v for k, v in os.environ.items() if not k.startswith("OLAKE_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "deployments.cli",
            "rotate-key",
            "--new-key",
            NEW_KEY,
            "--data-dir",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "re-encrypted 1 secrets in 1 sources" in result.stdout
    assert settings.secret_key_value() == NEW_KEY

    app = create_app(Settings(env="test", data_dir=tmp_path))
    with app.state.session_factory() as db:
        stored = db.get(Source, 1).config
    assert decrypt_config(stored, ["password"], cipher_for(NEW_KEY))["password"] == "rotate-me-123"
    with pytest.raises(ValueError):
        decrypt_config(stored, ["password"], cipher_for(old_key))
    assert InvalidToken  # the old key's cipher cannot read what the new one wrote


def test_short_key_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "deployments.cli",
            "rotate-key",
            "--new-key",
            "short",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "32 characters" in result.stderr
