"""Production strictness: with DEBUG off, missing secrets stop the server at start-up."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "teamviewer.example.com",
    "PUBLIC_BASE_URL": "https://teamviewer.example.com",
}


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in PRODUCTION and not key.startswith(("TEAMVIEWER_", "DJANGO_"))
    }
    environment.update(env, VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ENCRYPTION_KEYS", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_each_required_variable(missing, tmp_path):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = _manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off" in result.stderr


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


def test_development_starts_with_nothing_set_and_keeps_its_generated_key(tmp_path):
    first = _manage("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", env={}, tmp_path=tmp_path)
    second = _manage("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", env={}, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() and first.stdout == second.stdout
    assert (tmp_path / "dev-secret-key").exists()


def test_a_malformed_encryption_key_is_reported_by_name(tmp_path):
    env = dict(PRODUCTION, ENCRYPTION_KEYS="not-a-fernet-key")
    code = "from csm_teamviewer.crypto import encrypt; encrypt('x')"
    result = _manage("shell", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ENCRYPTION_KEYS must be comma-separated Fernet keys" in result.stderr
