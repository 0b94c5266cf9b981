"""Two PostgreSQL roles: the tables' owner runs migrations, the application runs as a role
that owns nothing.

A role that owns a table can truncate it, drop or disable its triggers; a superuser can also
switch all triggers off for its session (`session_replication_role`). The triggers that keep
finalized records as issued (invoicing migrations 0005 and 0015) only hold against a role
that can do none of this, so the application connects as one: DATABASE_URL. Migrations run
as the owner: MIGRATE_DATABASE_URL, the `owner` connection.
"""

from django.conf import settings
from django.db import connections

# What the application's role may do: read and write rows, and draw ids. No TRUNCATE, no
# TRIGGER, no REFERENCES; ALTER and DROP need ownership, which it never has.
GRANTS = [
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}",
]


def has_owner_connection() -> bool:
    return settings.MIGRATION_DATABASE in connections.databases


def application_role() -> str:
    return connections["default"].settings_dict["USER"]


def grant_application_role() -> str | None:
    """Give the application's role (DATABASE_URL's user) what it needs on every table and
    sequence, through the owner's connection. Idempotent; returns the role, or None when the
    application connects as the owner itself."""
    owner = connections[settings.MIGRATION_DATABASE]
    role = application_role()
    if not role or role == owner.settings_dict["USER"]:
        return None
    with owner.cursor() as cursor:
        quoted = owner.ops.quote_name(role)
        for grant in GRANTS:
            cursor.execute(grant.format(role=quoted))
    return role
