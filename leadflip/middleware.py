from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django_scopes import scope

from entities.services import CURRENT_ENTITY_SESSION_KEY, resolve_current_entity


class CurrentEntityMiddleware:
    """Resolve the operator's current Entity and run the request inside its tenant scope,
    with times shown in the Entity's time zone (the one its billing periods follow).

    Without a current Entity no scope is entered, so any query of tenant data fails loudly
    instead of seeing everything.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.entity, request.membership = None, None
        if request.user.is_authenticated:
            entity, membership = resolve_current_entity(
                request.user, request.session.get(CURRENT_ENTITY_SESSION_KEY)
            )
            if entity is not None:
                request.entity, request.membership = entity, membership
                with scope(entity=entity), timezone.override(ZoneInfo(entity.time_zone)):
                    return self.get_response(request)
        return self.get_response(request)


class UserLanguageMiddleware:
    """The language an operator picked (User.language) over the browser's, which
    LocaleMiddleware has activated."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.user.is_authenticated and request.user.language
        if not language:
            return self.get_response(request)
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
