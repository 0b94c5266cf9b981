"""The address of this installation, for the links in emails (portal, password reset)."""

from contextvars import ContextVar

from django.conf import settings

FALLBACK = "http://127.0.0.1:8000"
_request_origin: ContextVar[str] = ContextVar("request_origin", default="")


def site_url() -> str:
    """SITE_URL; without it, in development, the address the current request came in on
    (`make run` behind another host or port), else FALLBACK. Never ends in a slash."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/")
    if settings.DEBUG and (origin := _request_origin.get()):
        return origin
    return FALLBACK


class RequestOriginMiddleware:
    """Remembers, for the request's duration, the address it came in on (site_url)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_origin.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            _request_origin.reset(token)
