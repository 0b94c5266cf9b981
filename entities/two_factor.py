"""Two-factor login for operators (django-otp): an authenticator app's time-based codes
(TOTP, RFC 6238) and ten recovery codes for when the phone is lost. A login with a
confirmed device is only complete with a code; an owner can require a second factor of
everyone in the Account. The partner portal keeps its own login."""

import segno
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import login_sessions
from .models import Membership, User

RECOVERY_CODES = 10


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def start_enrolment(user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for the user, replacing one not confirmed before."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def pending_enrolment(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth:// address of the device as an inline SVG QR code, to scan."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4)


def secret_of(device: TOTPDevice) -> str:
    """The key for typing in by hand, in groups of four (base32, as the QR code has it)."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm_enrolment(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a code from it: its recovery codes, or None when the
    code is wrong. The session counts as verified from here on."""
    if not device.verify_token(code.replace(" ", "")):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(device.user)
    otp_login(request, device)
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """Ten new single-use recovery codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def verify(request, code: str) -> bool:
    """Complete the login with a code from the authenticator or a recovery code (used up)."""
    code = code.replace(" ", "").lower()
    for device in [*TOTPDevice.objects.filter(user=request.user, confirmed=True),
                   *StaticDevice.objects.filter(user=request.user, confirmed=True)]:  # fmt: skip
        if device.verify_is_allowed()[0] and device.verify_token(code):
            otp_login(request, device)
            return True
    return False


def turn_off(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def required_for(user: User) -> bool:
    """Whether an Account the user belongs to requires a second factor."""
    return Membership.objects.filter(user=user, account__require_two_factor=True).exists()


# Pages a login with a second factor reaches before giving its code: only these. Setting up
# an authenticator is not among them, or a stolen password could replace the owner's.
BEFORE_THE_CODE = {"login", "logout", "two_factor_verify", "verify_email",
                   "entities:set_language"}  # fmt: skip
# A member of an Account that requires a second factor, and has none, may set one up.
TO_SET_ONE_UP = BEFORE_THE_CODE | {"entities:security", "entities:security_setup",
                                   "entities:security_confirm"}  # fmt: skip
# Not the operator UI: the portal and the API have logins of their own.
OPEN_PREFIXES = ("/partner/", "/api/", "/peppol/", "/static/")


class TwoFactorMiddleware:
    """A login with a confirmed authenticator goes no further than the code page until a
    code is given; a member of an Account that requires a second factor, and has none, no
    further than setting it up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        user = request.user
        if not user.is_authenticated or request.path.startswith(OPEN_PREFIXES):
            return None
        login_sessions.seen(request)
        if user.is_verified():
            return None
        name = request.resolver_match.view_name if request.resolver_match else ""
        if user_has_device(user, confirmed=True):
            if name in BEFORE_THE_CODE:
                return None
            return redirect(reverse("two_factor_verify") + "?" + urlencode({"next": request.path}))
        if required_for(user) and name not in TO_SET_ONE_UP:
            return redirect("entities:security")
        return None


def may_enrol(request) -> bool:
    """Whether the user may set up an authenticator now: not while another one waits for its
    code (that would let a stolen password replace it), and only with a confirmed email
    address (or a sign-up with someone else's address could lock its owner out later)."""
    user = request.user
    if user_has_device(user, confirmed=True) and not user.is_verified():
        return False
    return Membership.objects.filter(user=user, account__verified_at__isnull=False).exists()
