"""docker-compose.yml: the production layout (web, worker, one beat, Redis, PostgreSQL) holds together.

``docker compose config`` checks it where Docker's compose plugin works; the YAML itself is
checked everywhere, so CI without Docker still catches a broken layout.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict) -> str:
    command = service.get("command") or ""
    return " ".join(command) if isinstance(command, list) else command


def _compose_works() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def test_docker_compose_config_accepts_the_file(tmp_path):
    if not _compose_works():
        pytest.skip("docker compose is not available here; the YAML checks below still run")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        ["docker", "compose", "-f", str(tmp_path / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_production_services_are_all_there(compose):
    assert {"web", "worker", "beat", "redis", "postgres", "migrate"} <= set(compose["services"])


def test_every_app_service_reads_dot_env_and_points_at_postgres_and_redis(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        env_files = service["env_file"] if isinstance(service["env_file"], list) else [service["env_file"]]
        assert ".env" in env_files, name
        assert "postgres://" in service["environment"]["DATABASE_URL"], name
        assert "redis://" in service["environment"]["CELERY_BROKER_URL"], name


def test_exactly_one_beat_and_no_worker_runs_beat_inside_it(compose):
    services = compose["services"]
    beats = [name for name, service in services.items() if " beat" in f" {_command(service)}"]
    assert beats == ["beat"]
    assert "--beat" not in _command(services["worker"])
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    # Beat keeps its schedule on a volume, so a restart does not run every entry at once.
    assert any("celerybeat-schedule" in part for part in services["beat"]["command"])
    assert services["beat"]["volumes"]


def test_servers_have_health_checks_and_start_after_what_they_need(compose):
    services = compose["services"]
    for name in ("web", "worker", "redis", "postgres"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz/" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_data_lives_on_named_volumes_and_web_runs_gunicorn(compose):
    assert {"postgres-data", "redis-data"} <= set(compose["volumes"])
    assert any("postgres-data" in volume for volume in compose["services"]["postgres"]["volumes"])
    assert any("redis-data" in volume for volume in compose["services"]["redis"]["volumes"])
    web_command = _command(compose["services"]["web"]) or (ROOT / "Dockerfile").read_text()
    assert "gunicorn" in web_command
