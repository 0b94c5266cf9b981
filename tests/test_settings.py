"""Settings come from the environment, with production defaults that fail loudly."""

import os
import subprocess
import sys

import pytest

from leadflip.settings import BASE_DIR


def load_settings(**env) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG")
    }
    code = "import leadflip.settings as s; print(s.DATABASES['default']['ENGINE'], s.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_without_database_url_it_runs_on_sqlite():
    result = load_settings(DEBUG="true")
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_database_url_selects_postgresql():
    result = load_settings(SECRET_KEY="x", DATABASE_URL="postgres://u@db:5432/leadflip")
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_boolean_fails_loudly(value):
    result = load_settings(SECRET_KEY="x", DEBUG=value)
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_secrets_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    code = "import leadflip.settings as s; print(s.SECRET_KEY)"
    clean = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "SECRET_KEY_FILE": str(secret)},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "from-a-file"


def test_the_embedded_sqlite_takes_its_write_lock_when_a_transaction_begins(tmp_path):
    """Five concurrent finalize requests gave two 'database is locked' 500s on `make run`;
    with IMMEDIATE transactions, threads that read and then write in one transaction all
    succeed, one after another."""
    script = """
import threading, sqlite3, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflip.settings")
import leadflip.settings as s
s.DATABASES["default"]["NAME"] = os.environ["DB"]
django.setup()
from django.db import connection, transaction
with connection.cursor() as c:
    c.execute("CREATE TABLE counter (n integer)")
    c.execute("INSERT INTO counter VALUES (0)")
errors = []
def work():
    from django.db import connection
    try:
        for _ in range(20):
            with transaction.atomic(), connection.cursor() as c:
                c.execute("SELECT n FROM counter")
                n = c.fetchone()[0]
                c.execute("UPDATE counter SET n = %s", [n + 1])
    except Exception as e:
        errors.append(repr(e))
    finally:
        connection.close()
threads = [threading.Thread(target=work) for _ in range(5)]
[t.start() for t in threads]; [t.join() for t in threads]
with connection.cursor() as c:
    c.execute("SELECT n FROM counter")
    print(c.fetchone()[0], len(errors))
"""
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, "DEBUG": "true", "DB": str(tmp_path / "db.sqlite3")},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["100", "0"], result.stderr
