"""Importing a bank statement: read the file (CAMT.053, CAMT.054 or MT940), check that it
is for the Entity's bank account, store the booked entries it has not seen before, and
match each (`matching`). The same file uploaded twice is refused; an entry already imported
from another file (an overlapping export) is skipped."""

import hashlib
from dataclasses import asdict

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban

from entities.models import Entity

from ..models import BankEntry, BankStatement, InvoicingError
from .camt import is_camt, parse_camt
from .entries import Statement
from .matching import match_entry
from .sepa import compact
from .swift_mt940 import parse_mt940

MAX_SIZE = 20 * 1024 * 1024
# The unique constraints two simultaneous uploads of one file run into (PostgreSQL names
# them; SQLite names the table).
UPLOADED_TWICE = ("one_upload_per_file", "one_entry_per_reference", "invoicing_bank")


def check_size(size: int) -> None:
    if size > MAX_SIZE:
        raise InvoicingError(_("A statement file is at most 20 MB: upload it in parts."))


def read_statement(content: bytes) -> Statement:
    if not content.strip():
        raise InvoicingError(_("The file is empty."))
    check_size(len(content))
    return parse_camt(content) if is_camt(content) else parse_mt940(content)


def import_statement(entity: Entity, filename: str, content: bytes, by) -> BankStatement:
    """Store and match the statement's new entries; returns the statement, whose
    `new_entries` says how many were new. Raises InvoicingError when the file cannot be
    read, is for another account or was uploaded before."""
    if not entity.iban:
        raise InvoicingError(_("Enter the Entity's IBAN in Settings first: statements are for it."))
    statement = read_statement(content)
    account = compact(entity.iban)
    if not same_account(statement.account, account):
        raise InvoicingError(
            _("This statement is for account {account}, not for the Entity's {iban}.").format(
                account=statement.account, iban=account
            )
        )
    sha256 = hashlib.sha256(content).hexdigest()
    if BankStatement.objects.filter(entity=entity, sha256=sha256).exists():
        raise InvoicingError(_("This file was imported before: nothing changed."))
    try:
        with transaction.atomic():
            stored = BankStatement.objects.create(
                entity=entity,
                format=statement.format,
                statement_id=statement.statement_id,
                account_iban=account,
                filename=filename[:200],
                sha256=sha256,
                content=content,
                entries_count=len(statement.entries),
                imported_by=getattr(by, "email", None) or str(by or ""),
            )
            known = set(
                BankEntry.objects.filter(
                    entity=entity,
                    account_iban=account,
                    reference__in=[entry.reference for entry in statement.entries],
                ).values_list("reference", flat=True)
            )
            new = [entry for entry in statement.entries if entry.reference not in known]
            for parsed in new:
                entry = BankEntry.objects.create(
                    entity=entity,
                    statement=stored,
                    account_iban=account,
                    status=BankEntry.UNMATCHED,
                    **asdict(parsed),
                )
                match_entry(entry)
            stored.new_entries = len(new)
            stored.save(update_fields=["new_entries"])
    except IntegrityError as error:  # the same file or entries, uploaded at the same moment
        if not any(name in str(error) for name in UPLOADED_TWICE):
            raise
        raise InvoicingError(
            _("This file is being imported already: look again in a moment.")
        ) from None
    return stored


def same_account(identification: str, iban: str) -> bool:
    """Whether the statement's account is the IBAN: given as the IBAN itself, or (in many
    German MT940 files) as "bank code/account number", which a German IBAN holds."""
    identification = compact(identification)
    if identification == iban:
        return True
    if "/" in identification and iban.startswith("DE") and stdnum_iban.is_valid(iban):
        bank_code, _slash, number = identification.partition("/")
        return bank_code == iban[4:12] and number.lstrip("0") == iban[12:22].lstrip("0")
    return False
