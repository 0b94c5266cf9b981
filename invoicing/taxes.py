"""How VAT applies to an invoice.

For now this is plain domestic VAT: an Entity in the EU charges its configured rate on every
invoice; an Entity outside the EU charges none. The full EU rules (reverse charge, dated rate
table) build on this function's interface.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from entities.models import Entity
from partners.models import Partner

STANDARD = "S"  # UNCL 5305: standard rate
NOT_SUBJECT = "O"  # UNCL 5305: outside the scope of VAT


@dataclass(frozen=True)
class TaxTreatment:
    category: str
    rate: Decimal
    note: str = ""

    @property
    def charges_vat(self) -> bool:
        return self.category == STANDARD


def decide_tax_treatment(entity: Entity, partner: Partner, supply_date: date) -> TaxTreatment:
    if not entity.is_in_eu:
        return TaxTreatment(NOT_SUBJECT, Decimal("0"))
    return TaxTreatment(STANDARD, entity.vat_rate)
