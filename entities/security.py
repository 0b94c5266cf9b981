"""Logins under attack: the client's address behind a proxy, and throttling of failed
operator logins (django-axes). The partner portal, which has logins of its own, throttles
them in portal.auth with the same address and the same two limits."""

import hashlib
import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db.models import Sum
from django.template.response import TemplateResponse


def client_ip(request) -> str:
    """The address of the client. Behind TRUSTED_PROXY_COUNT proxies, the address the
    outermost one saw: that many entries from the right of X-Forwarded-For (entries
    further left are whatever the client sent). Without trusted proxies, REMOTE_ADDR: a
    header anyone can send is never believed."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        chain = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        chain = [hop for hop in chain if hop]
        if len(chain) >= proxies:
            try:
                return str(ipaddress.ip_address(chain[-proxies]))
            except ValueError:
                pass
    return remote


def login_username(request, credentials) -> str | None:
    """One counter per email address, however it was typed."""
    typed = (credentials or {}).get("username") or request.POST.get("username") or ""
    return typed.strip().lower() or None


class PerParameterLimits(AxesDatabaseHandler):
    """django-axes with a limit of its own for each lockout parameter: an account is locked
    after LOGIN_FAILURES_PER_ACCOUNT failures from anywhere, an address after
    LOGIN_FAILURES_PER_ADDRESS failures on any accounts (so that one attacker guessing
    many accounts is stopped, and one user's typos do not lock a whole office).

    Axes compares one count with one AXES_FAILURE_LIMIT; this gives it, per parameter, the
    failures scaled to that limit, and the worst of them."""

    LIMITS = {"username": "LOGIN_FAILURES_PER_ACCOUNT", "ip_address": "LOGIN_FAILURES_PER_ADDRESS"}

    def get_failures(self, request, credentials=None) -> int:
        axes_limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            own_limit = getattr(settings, self.LIMITS[parameter])
            worst = max(worst, failures * axes_limit // own_limit)
        return worst


def lockout_response(request, original_response=None, credentials=None):
    """The login page again with what happened and what to do, status 429."""
    minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
    context = {"form": AuthenticationForm(request), "locked_out": True, "minutes": minutes}
    return TemplateResponse(request, "registration/login.html", context, status=429).render()


def may_send_reset_mail(email: str, ip: str) -> bool:
    """Whether a password-reset mail may go to `email` now: at most one per address in
    PASSWORD_RESET_MAIL_INTERVAL seconds, and PASSWORD_RESET_MAILS_PER_ADDRESS per client
    address and hour, so that the form cannot flood anyone's inbox. The page answers the
    same either way."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    if not cache.add(f"password-reset:to:{digest}", 1, settings.PASSWORD_RESET_MAIL_INTERVAL):
        return False
    limit = settings.PASSWORD_RESET_MAILS_PER_ADDRESS
    return within_hourly_limit(f"password-reset:from:{ip}", limit)


def within_hourly_limit(key: str, limit: int) -> bool:
    """Count one more under `key` and say whether the count of the last hour is within
    `limit` (sign-ups and reset mails per client address)."""
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, 3600)
        count = 1
    return count <= limit
