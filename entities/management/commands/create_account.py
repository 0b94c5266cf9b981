"""Make an operator's Account, its first Entity and its owner, for a production first run:
`manage.py create_account --email owner@example.com --entity-country DE`."""

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from entities.accounts import AccountError, create_account
from entities.models import COUNTRY_CHOICES


class Command(BaseCommand):
    help = "Create an Account with its first Entity and its owner (asks for the password)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="the owner's login")
        parser.add_argument("--entity-country", required=True, help="ISO code, e.g. DE")
        parser.add_argument("--company", help="the Account's and the Entity's name")
        parser.add_argument(
            "--password",
            help="the owner's password (else asked for; not used for an existing login)",
        )

    def handle(self, email, entity_country, company=None, password=None, **options):
        country = entity_country.upper()
        if country not in dict(COUNTRY_CHOICES):
            raise CommandError(f"Unknown country {entity_country!r}: give its ISO code, e.g. DE.")
        company = company or email.split("@")[-1]
        try:
            with transaction.atomic():
                account, entity, user, new_login = create_account(
                    email, company, country, password=password, ask=self._ask_password
                )
        except AccountError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Account “{account}” created with the Entity “{entity}” ({country}); "
            f"{user.email} is its owner{' (new login)' if new_login else ''}. "
            "Log in and complete the Entity's details in Settings."
        )

    def _ask_password(self) -> str:
        password = getpass.getpass("Password for the owner: ")
        if password != getpass.getpass("Password again: "):
            raise AccountError("The two passwords differ.")
        return password
