from celery import shared_task
from django_scopes import scopes_disabled

from entities.models import Entity

from .payments import mark_overdue_invoices


@shared_task
def mark_overdue() -> int:
    """Daily: record which unpaid invoices passed their due date, per Entity's own today."""
    with scopes_disabled():
        return sum(mark_overdue_invoices(entity) for entity in Entity.objects.all())
