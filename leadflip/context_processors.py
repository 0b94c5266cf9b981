from django.conf import settings

from entities.services import entities_of


def current_entity(request):
    entity = getattr(request, "entity", None)
    if entity is None:
        return {"signup_enabled": settings.SIGNUP_ENABLED}
    return {
        "current_entity": entity,
        "switchable_entities": entities_of(request.user),
        "can_write": request.membership.can_write,
        "is_owner": request.membership.role == "owner",
        "signup_enabled": settings.SIGNUP_ENABLED,
        "unverified": entity.account.verified_at is None,
    }
