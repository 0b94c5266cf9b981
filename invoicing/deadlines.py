"""When an invoice must be issued.

Art. 222 VAT Directive (in Germany §14a(1) UStG): an invoice for a service whose VAT the
customer in another member state accounts for (reverse charge, Art. 196) is issued by the
15th of the month after the month of the supply. A month's reverse-charge drafts still
unfinalized on the 10th of the next month are flagged, so there are five days left."""

from datetime import date, timedelta

from django.utils.translation import ngettext

from entities.models import Entity
from partners.models import Partner

from .models import Invoice
from .oss import other_member_states
from .taxes import REVERSE_CHARGE

DUE_DAY = 15
FLAG_FROM_DAY = 10


def reverse_charge_due(period_end: date) -> date:
    """The last day to issue a reverse-charge invoice for a supply ending on `period_end`."""
    next_month = (period_end.replace(day=1) + timedelta(days=32)).replace(day=1)
    return next_month.replace(day=DUE_DAY)


def late_reverse_charge_drafts(entity: Entity, today: date):
    """Reverse-charge drafts of the Entity that are due within five days, or overdue."""
    drafts = Invoice.objects.filter(
        entity=entity,
        status=Invoice.DRAFT,
        kind=Invoice.KIND_INVOICE,
        self_billed=False,
        tax_category=REVERSE_CHARGE,
    )
    return [
        draft
        for draft in drafts.select_related("partner").order_by("period_end", "pk")
        if today >= reverse_charge_due(draft.period_end).replace(day=FLAG_FROM_DAY)
    ]


def billing_day_warning(entity: Entity) -> str:
    """Why the monthly billing day is too late for the Entity's EU business partners, or ''."""
    if not entity.billing_day or entity.billing_day <= DUE_DAY or not entity.is_in_eu:
        return ""
    eu_businesses = (
        Partner.objects.filter(entity=entity, is_buyer=True, is_active=True, kind=Partner.COMPANY)
        .exclude(vat_id="")
        .filter(country__in=other_member_states(entity))
        .count()
    )
    if not eu_businesses:
        return ""
    return ngettext(
        "Billing on day {day} is too late for your {count} business partner in other EU "
        "countries: reverse-charge invoices are due by the {due}th of the month after the "
        "supply (Art. 222 VAT Directive, §14a UStG). Choose a day up to the 15th.",
        "Billing on day {day} is too late for your {count} business partners in other EU "
        "countries: reverse-charge invoices are due by the {due}th of the month after the "
        "supply (Art. 222 VAT Directive, §14a UStG). Choose a day up to the 15th.",
        eu_businesses,
    ).format(day=entity.billing_day, count=eu_businesses, due=DUE_DAY)
