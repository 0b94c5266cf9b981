"""Return rates on the partner page ({% return_rates partner as rates %}): the partners app
does not import this one, so its template asks here."""

from datetime import timedelta

from django import template
from django.utils import timezone

from ..models import DistributionTransaction, Lead, LeadReturn

register = template.Library()

DAYS = 90


@register.simple_tag
def return_rates(partner) -> dict:
    """Over the last 90 days: of the leads delivered to the partner (as a buyer), how many
    it returned; of the leads it supplied, how many buyers returned and how many of those
    were passed back to it."""
    since = timezone.now() - timedelta(days=DAYS)
    rates = {"days": DAYS}
    if partner.is_buyer:
        delivered = DistributionTransaction.objects.filter(
            partner=partner, delivered_at__gte=since
        ).count()
        returns = LeadReturn.objects.filter(partner=partner, delivery__delivered_at__gte=since)
        accepted = returns.filter(status=LeadReturn.APPROVED).count()
        rates["bought"] = {
            "delivered": delivered,
            "accepted": accepted,
            "waiting": returns.filter(status=LeadReturn.PENDING).count(),
            "rate": 100 * accepted / delivered if delivered else None,
        }
    if partner.is_supplier:
        supplied = Lead.objects.filter(supplier=partner, created_at__gte=since).count()
        returned = LeadReturn.objects.filter(
            delivery__lead__supplier=partner,
            delivery__lead__created_at__gte=since,
            status=LeadReturn.APPROVED,
        )
        count = returned.values("delivery__lead").distinct().count()
        rates["supplied"] = {
            "supplied": supplied,
            "returned": count,
            "passed_back": returned.filter(passed_back=True).count(),
            "rate": 100 * count / supplied if supplied else None,
        }
    return rates
