"""Who may see which Entity."""

from .models import Entity, Membership

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
