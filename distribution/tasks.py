import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone
from django_scopes import scopes_disabled

from entities.models import Entity

from . import batch, tallies
from .models import DeliveryImport

logger = logging.getLogger(__name__)


@shared_task
def count_deliveries(entity_id: int | None = None) -> int:
    """Every quarter of an hour (or for one Entity, when its dashboard finds its tally
    stale): count the months whose tally is due. Returns how many months were counted."""
    counted = 0
    with scopes_disabled():
        entities = Entity.objects.filter(archived_at__isnull=True)
        if entity_id is not None:
            entities = entities.filter(pk=entity_id)
        for entity in entities:
            # One count per Entity at a time: a dashboard viewed often asks again and again.
            lock = f"count-deliveries:{entity.pk}"
            if not cache.add(lock, True, timeout=600):
                continue
            try:
                counted += len(tallies.count_due_months(entity))
            except Exception:  # one Entity's trouble stops no other's
                logger.exception("Counting the deliveries of Entity %s failed", entity.pk)
            finally:
                cache.delete(lock)
    return counted


@shared_task(acks_late=True)
def import_deliveries(import_id: int) -> str:
    """Record an uploaded file of deliveries (distribution.batch.import_file)."""
    with scopes_disabled():
        delivery_import = DeliveryImport.objects.select_related("entity").get(pk=import_id)
        if delivery_import.status == DeliveryImport.DONE:
            return DeliveryImport.DONE
        delivery_import.status = DeliveryImport.RUNNING
        delivery_import.save(update_fields=["status"])
        try:
            batch.import_file(delivery_import)
        except Exception as error:
            logger.exception("Importing deliveries %s failed", import_id)
            delivery_import.status = DeliveryImport.FAILED
            delivery_import.problems.append({"line": None, "problem": str(error)[:300]})
        else:
            delivery_import.status = DeliveryImport.DONE
            delivery_import.content = b""  # recorded: the deliveries themselves are the record
        delivery_import.finished_at = timezone.now()
        delivery_import.save()
        return delivery_import.status
