"""export_accounting --format datev|fec|csv --entity N --start YYYY-MM-DD --end YYYY-MM-DD
[--out FILE]

The period's documents for the accountant (invoicing.accounting), on standard output
without --out."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from entities.models import Entity
from invoicing import accounting
from invoicing.models import InvoicingError

ENCODING = {"datev": "cp1252", "fec": "iso-8859-15", "csv": "utf-8"}


class Command(BaseCommand):
    help = "Write a period's documents as a DATEV Buchungsstapel, the FEC or a journal CSV."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=list(accounting.FORMATS), required=True)
        parser.add_argument("--entity", type=int, required=True, help="The Entity's id.")
        parser.add_argument("--start", type=date.fromisoformat, required=True)
        parser.add_argument("--end", type=date.fromisoformat, required=True)
        parser.add_argument("--out", type=Path, help="A file to write; else standard output.")

    def handle(self, *args, format, entity, start, end, out=None, **options):
        if start > end:
            raise CommandError("--start lies after --end.")
        with scopes_disabled():
            found = Entity.objects.filter(pk=entity).first()
            if found is None:
                raise CommandError(f"No Entity {entity}.")
            try:
                content = accounting.export(found, format, start, end).content
            except InvoicingError as error:
                raise CommandError(str(error)) from error
        if out is not None:
            out.write_bytes(content)
            self.stderr.write(f"Wrote {out}.")
            return
        stream = getattr(self.stdout._out, "buffer", None)  # the bytes as they are, if it can
        if stream is not None:
            stream.write(content)
            stream.flush()
        else:
            self.stdout.write(content.decode(ENCODING[format]), ending="")
