"""The FEC (fichier des écritures comptables, art. A47 A-1 LPF; BOI-CF-IOR-60-40-20) of a
French Entity: the journal's entries, one line per account line."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from entities.models import Entity

from ..models import InvoicingError
from .journal import journal

# The 18 fields of art. A47 A-1 LPF, in their order.
FEC_FIELDS = [
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
]  # fmt: skip


def fec(entity: Entity, start: date, end: date) -> bytes:
    """The FEC of the period: tab-separated, a header line with the field names, dates as
    AAAAMMJJ, amounts with a decimal comma, in ISO 8859-15 (BOI-CF-IOR-60-40-20)."""
    if entity.country != "FR":
        raise InvoicingError(_("The FEC is for French Entities; export the journal instead."))
    rows = ["\t".join(FEC_FIELDS)]
    for entry in journal(entity, start, end):
        for line in entry.lines:
            rows.append(
                "\t".join(
                    _fec_text(value)
                    for value in [
                        entry.journal, entry.journal_name, entry.number, f"{entry.day:%Y%m%d}",
                        line.account, line.account_name, line.aux, line.aux_name,
                        entry.document.number, f"{entry.document.issue_date:%Y%m%d}",
                        entry.label, _fec_amount(line.debit), _fec_amount(line.credit),
                        "", "", f"{entry.validated_on:%Y%m%d}",
                        _fec_amount(entry.foreign_amount) if entry.foreign_amount else "",
                        entry.foreign_currency,
                    ]
                )
            )  # fmt: skip
    return ("\r\n".join(rows) + "\r\n").encode("iso-8859-15", errors="replace")


def fec_filename(entity: Entity, end: date) -> str:
    """SirenFECAAAAMMJJ.txt, AAAAMMJJ the closing date (here: the period's end)."""
    siren = "".join(c for c in (entity.siret or entity.register_number) if c.isdigit())[:9]
    return f"{siren or 'SIREN'}FEC{end:%Y%m%d}.txt"


def _fec_text(value: str) -> str:
    return " ".join(str(value).split())  # no tab or line break inside a field


def _fec_amount(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")
