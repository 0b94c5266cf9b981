"""The browsers an operator is logged in with: recorded at login, refreshed as they are
used, listed on the Security page, and each can be logged out from there."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from .models import LoginSession, User
from .security import client_ip

# How often a session's "last seen" is written: not on every request.
SEEN_EVERY_SECONDS = 300
SEEN_KEY = "login_session_seen"


@receiver(user_logged_in)
def _record_login(sender, request, user, **kwargs):
    if not isinstance(user, User) or request is None or not hasattr(request, "session"):
        return
    if not request.session.session_key:
        request.session.save()
    _record(request, user)
    request.session[SEEN_KEY] = timezone.now().timestamp()


def _record(request, user: User) -> None:
    """The request's session as the user's, from its browser and address, seen now."""
    LoginSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": client_ip(request) or None,
            "user_agent": request.headers.get("User-Agent", "")[:300],
            "last_seen_at": timezone.now(),
        },
    )


@receiver(user_logged_out)
def _forget_logout(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        LoginSession.objects.filter(session_key=request.session.session_key).delete()


def seen(request) -> None:
    """Note that the session is in use, at most every SEEN_EVERY_SECONDS. A session logged
    in before sessions were recorded is recorded here, the first time it is seen."""
    now = timezone.now()
    if now.timestamp() - request.session.get(SEEN_KEY, 0) < SEEN_EVERY_SECONDS:
        return
    request.session[SEEN_KEY] = now.timestamp()
    key = request.session.session_key
    if key and not LoginSession.objects.filter(session_key=key).update(last_seen_at=now):
        _record(request, request.user)


def sessions_of(user: User) -> list[LoginSession]:
    """The user's sessions that are still logged in; ended ones are cleared on the way."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    alive = []
    for login_session in LoginSession.objects.filter(user=user):
        if store().exists(login_session.session_key):
            alive.append(login_session)
        else:
            login_session.delete()
    return alive


def log_out(login_session: LoginSession) -> None:
    """End the session: its browser is logged out at its next request."""
    import_module(settings.SESSION_ENGINE).SessionStore(login_session.session_key).delete()
    login_session.delete()
