"""The application connects to PostgreSQL as a role that owns nothing; migrations run as the
owner (leadflip.db). The triggers that keep finalized records as issued hold only against
such a role: these tests build the production set-up in a database of their own and try to
get around them as the application."""

import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import psycopg
import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
OWNER, APP = "leadflip_test_owner", "leadflip_test_app"


def _url(server: dict, user: str, name: str) -> str:
    return f"postgres://{user}@{server['HOST']}:{server['PORT'] or 5432}/{name}"


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**os.environ, "SECRET_KEY": "test-only-secret", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def production_database():
    """A database owned by OWNER, migrated as OWNER, for the application role APP."""
    server = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"leadflip_roles_{os.getpid()}"
    admin = psycopg.connect(_url(server, server["USER"], "postgres"), autocommit=True)
    for role in (OWNER, APP):
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            admin.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER")
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.execute(f"CREATE DATABASE {name} OWNER {OWNER}")
    urls = {
        "DATABASE_URL": _url(server, APP, name),
        "MIGRATE_DATABASE_URL": _url(server, OWNER, name),
    }
    migrated = _manage("migrate", "--noinput", **urls)
    assert migrated.returncode == 0, migrated.stderr
    assert f"Granted the application's role {APP}" in migrated.stdout
    yield urls
    admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def as_application(production_database):
    with psycopg.connect(production_database["DATABASE_URL"], autocommit=True) as conn:
        yield conn


def test_the_application_role_is_no_superuser_and_owns_no_table(as_application):
    assert not as_application.execute(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()[0]
    owned = "SELECT count(*) FROM pg_tables WHERE tableowner = current_user"
    assert as_application.execute(owned).fetchone()[0] == 0


@pytest.mark.parametrize(
    "table", ["invoicing_invoice", "invoicing_invoiceevent", "distribution_distributiontransaction"]
)
def test_the_application_role_cannot_truncate(as_application, table):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_application.execute(f"TRUNCATE {table} CASCADE")


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE invoicing_invoice DISABLE TRIGGER ALL",
        "ALTER TABLE invoicing_invoiceline DISABLE TRIGGER invoicing_protect_line",
        "DROP TRIGGER invoicing_protect_event ON invoicing_invoiceevent",
        "CREATE OR REPLACE FUNCTION invoicing_protect_payment() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "SET session_replication_role = replica",
    ],
)
def test_the_application_role_cannot_switch_the_triggers_off(as_application, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_application.execute(statement)


def test_the_product_works_as_the_application_role(production_database, tmp_path):
    """Finalizing, crediting and paying, with only what the role was granted."""
    app_only = {"DATABASE_URL": production_database["DATABASE_URL"]}
    result = _manage("export_einvoice_samples", "--out", str(tmp_path), **app_only)
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.glob("*.pdf"))) > 10
