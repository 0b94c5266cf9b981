"""`manage.py check --deploy` is clean with the production environment the README and
docker-compose.yml document."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "SECRET_KEY": "k3!x9-production-like-secret-of-fifty-characters-and-more-0123456789",
    "ALLOWED_HOSTS": "billing.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://billing.example.com",
    "SECURE_PROXY_SSL": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_the_deploy_checks_pass_in_the_documented_production_environment():
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG",)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**environment, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_compose_file_sets_the_same_https_settings():
    compose = (BASE_DIR / "docker-compose.yml").read_text()
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL"):
        assert f"{name}: ${{{name}:-{PRODUCTION[name]}}}" in compose
