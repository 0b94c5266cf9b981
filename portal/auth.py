"""The portal's own login, separate from the operator's Django auth: a portal login sets only
PORTAL_SESSION_KEY (never request.user), and portal views look only at that key."""

from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django_scopes import scope, scopes_disabled

from partners.models import PartnerUser

PORTAL_SESSION_KEY = "portal_user_id"
PORTAL_HASH_KEY = "portal_user_hash"


def _session_hash(user: PartnerUser) -> str:
    """Changes when the password changes, which ends every other session of the login."""
    return salted_hmac("leadflip.portal.session", user.password).hexdigest()


def login(request, user: PartnerUser) -> None:
    request.session.cycle_key()
    request.session[PORTAL_SESSION_KEY] = user.pk
    request.session[PORTAL_HASH_KEY] = _session_hash(user)
    PartnerUser.objects.with_scopes_disabled().filter(pk=user.pk).update(last_login=timezone.now())


def logout(request) -> None:
    request.session.pop(PORTAL_SESSION_KEY, None)
    request.session.pop(PORTAL_HASH_KEY, None)
    request.session.cycle_key()


def current_user(request) -> PartnerUser | None:
    user_id = request.session.get(PORTAL_SESSION_KEY)
    if user_id is None:
        return None
    with scopes_disabled():
        user = (
            PartnerUser.objects.select_related("partner__entity")
            .filter(pk=user_id, is_active=True, partner__is_active=True)
            .first()
        )
    if user is None or not constant_time_compare(
        request.session.get(PORTAL_HASH_KEY, ""), _session_hash(user)
    ):
        return None
    return user


def portal_login_required(view):
    """The view runs for a logged-in partner, inside its Entity's scope, with
    request.portal_user and request.partner set."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = current_user(request)
        if user is None:
            return redirect(f"{reverse('portal:login')}?next={request.path}")
        request.portal_user, request.partner = user, user.partner
        # The portal speaks the partner's language, as its invoices do.
        request.LANGUAGE_CODE = user.partner.document_language
        with scope(entity=user.partner.entity), translation.override(request.LANGUAGE_CODE):
            return view(request, *args, **kwargs)

    return wrapper


# Throttling of failed logins: a login (email) is paused after PORTAL_LOGIN_ATTEMPTS failures
# from anywhere, a client address after LOGIN_FAILURES_PER_ADDRESS failures on any logins.
# The address is the client's behind trusted proxies (entities.security.client_ip), so that
# one proxy's address does not pause every partner.


def _keys(email: str, ip: str) -> dict[str, int]:
    return {
        f"portal-login-failures:login:{email.lower()}": settings.PORTAL_LOGIN_ATTEMPTS,
        f"portal-login-failures:address:{ip}": settings.LOGIN_FAILURES_PER_ADDRESS,
    }


def is_locked_out(email: str, ip: str) -> bool:
    counts = cache.get_many(list(_keys(email, ip)))
    return any(counts.get(key, 0) >= limit for key, limit in _keys(email, ip).items())


def note_failure(email: str, ip: str) -> None:
    for key in _keys(email, ip):
        cache.add(key, 0, settings.PORTAL_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, settings.PORTAL_LOCKOUT_SECONDS)


def clear_failures(email: str, ip: str) -> None:
    """A successful login clears its own count, not the address's: one login an attacker
    knows must not let it guess others from the same address again."""
    cache.delete(next(iter(_keys(email, ip))))
