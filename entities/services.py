"""Who may see which Entity."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AccountEvent, Entity, Membership
from .team import record

CURRENT_ENTITY_SESSION_KEY = "current_entity_id"


def memberships_of(user) -> dict[int, Membership]:
    """The user's memberships, by account id."""
    return {m.account_id: m for m in Membership.objects.filter(user=user)}


def entities_of(user) -> list[Entity]:
    return list(
        Entity.objects.filter(account__memberships__user=user)
        .select_related("account")
        .order_by("account__name", "name")
    )


def resolve_current_entity(user, wanted_id) -> tuple[Entity | None, Membership | None]:
    """The Entity the user asked for (if they may see it), else their first; with the
    membership that grants access to it."""
    memberships = memberships_of(user)
    if not memberships:
        return None, None
    entities = entities_of(user)
    if not entities:
        return None, None
    entity = next((e for e in entities if e.pk == wanted_id), entities[0])
    return entity, memberships[entity.account_id]


class InvoicingBlocked(Exception):
    """The Entity may not issue anything now, in words for the operator."""


def issuing_problem(entity: Entity) -> str:
    """Why the Entity may not issue invoices now, or "": it is archived, or its Account's
    email address is not confirmed yet."""
    if entity.archived_at:
        return _("{name} is archived and issues nothing new; an owner can restore it.").format(
            name=entity.name
        )
    if entity.account.verified_at is None:
        return _("Confirm your email address first: follow the link we sent when you signed up.")
    return ""


def archive(entity: Entity, by) -> None:
    """Stop the Entity issuing anything; its invoices stay readable. An Account keeps at
    least one active Entity."""
    with transaction.atomic():
        active = list(
            Entity.objects.select_for_update().filter(account=entity.account_id, archived_at=None)
        )
        if entity.pk not in [e.pk for e in active]:  # archived already, maybe just now
            return
        if [e.pk for e in active] == [entity.pk]:
            raise InvoicingBlocked(
                _("{name} is the account's only active Entity: add another first.").format(
                    name=entity.name
                )
            )
        entity.archived_at = timezone.now()
        entity.save(update_fields=["archived_at"])
        record(entity.account, AccountEvent.ENTITY_ARCHIVED, by, entity.legal_name)


def restore(entity: Entity, by) -> None:
    if entity.archived_at is None:
        return
    entity.archived_at = None
    entity.save(update_fields=["archived_at"])
    record(entity.account, AccountEvent.ENTITY_RESTORED, by, entity.legal_name)
