"""The operator's home: the month in figures and charts (invoicing.dashboard)."""

from datetime import date

from django.shortcuts import render
from django.utils.translation import gettext as _

from distribution import tallies
from distribution.tasks import count_deliveries
from entities.decorators import entity_required

from . import dashboard as figures
from . import onboarding
from .billing import local_today
from .dashboard import charts


def _month(value: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


@entity_required
def dashboard(request):
    entity = request.entity
    if tallies.months_due(entity):
        # In the background with a worker; where tasks run in-process (the local demo),
        # this counts now and the page shows the count.
        count_deliveries.delay(entity.pk)
    today = local_today(entity)
    month = _month(request.GET.get("month"))
    found = figures.dashboard(entity, today, month, request.GET.get("currency", ""))
    partners = charts.shares(found.by_partner) if found.by_partner else ""
    profiles = charts.shares(found.by_profile) if found.by_profile else ""
    return render(
        request,
        "invoicing/dashboard.html",
        {
            "figures": found,
            "months": list(reversed(tallies.months_shown(today))),
            "today": today,
            "onboarding": onboarding.open_checklist(entity),
            "ages": [(charts.age_label(b.key), b) for b in found.ageing],
            "shares": [
                (_("Revenue by partner"), found.by_partner, partners, "partner"),
                (_("Revenue by profile"), found.by_profile, profiles, "profile"),
            ],
            "charts": {
                "delivered": charts.delivered_vs_invoiced(found),
                "ageing": charts.ageing(found),
                "returns": charts.return_rates(found),
            },
        },
    )
