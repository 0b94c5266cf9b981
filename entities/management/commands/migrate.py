"""`migrate`, run as the tables' owner when MIGRATE_DATABASE_URL is set (see leadflip.db)."""

from django.conf import settings
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS

from leadflip.db import grant_application_role, has_owner_connection


class Command(migrate.Command):
    help = (
        migrate.Command.help
        + " With MIGRATE_DATABASE_URL set, migrations run as that (owner) role, and the role "
        "of DATABASE_URL is then granted what the application needs."
    )

    def handle(self, *args, **options):
        if options["database"] == DEFAULT_DB_ALIAS and has_owner_connection():
            options["database"] = settings.MIGRATION_DATABASE
        super().handle(*args, **options)
        if options["database"] == settings.MIGRATION_DATABASE:
            role = grant_application_role()
            if role and options["verbosity"]:
                self.stdout.write(f"Granted the application's role {role} its privileges.")
