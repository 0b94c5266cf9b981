"""A period's documents for the accountant, in the format their books read: DATEV's
Buchungsstapel (German Entities), the FEC (French Entities) or a plain journal CSV. The
rest of the product calls `export`."""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from entities.models import Entity

from .datev import datev, datev_filename
from .fec import fec, fec_filename
from .journal import journal_csv

FORMATS = {
    "datev": _("DATEV (Buchungsstapel)"),
    "fec": _("FEC (fichier des écritures comptables)"),
    "csv": _("Journal (CSV)"),
}


@dataclass
class Export:
    content: bytes
    filename: str
    content_type: str


def export(entity: Entity, kind: str, start: date, end: date) -> Export:
    """The period's entries as a file; raises InvoicingError where the Entity or a
    document does not fit the format."""
    if kind == "datev":
        content = datev(entity, start, end)
        return Export(content, datev_filename(start, end), "text/csv; charset=windows-1252")
    if kind == "fec":
        return Export(fec(entity, start, end), fec_filename(entity, end), "text/plain")
    if kind == "csv":
        content = journal_csv(entity, start, end).encode()
        return Export(content, f"journal-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv", "text/csv")
    raise ValueError(f"No accounting format {kind!r}")
