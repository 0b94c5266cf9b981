"""A new operator's Account: the Account, its first Entity and its owner, made by the
sign-up page or by `manage.py create_account`. What the Entity needs before its first
invoice is the onboarding checklist's to ask (invoicing.onboarding)."""

from datetime import date

from babel.core import get_global
from babel.numbers import get_territory_currencies
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import CURRENCY_CHOICES, Account, AccountEvent, Entity, Membership, User
from .site import site_url
from .team import record


class AccountError(Exception):
    """The Account cannot be made as asked, in words."""


def guessed_time_zone(country: str) -> str:
    """The country's time zone when it has one (Babel's territory table); Berlin's else,
    to be corrected in Settings."""
    zones = get_global("territory_zones").get(country, [])
    return zones[0] if len(zones) == 1 else {"US": "America/New_York"}.get(country, "Europe/Berlin")


def guessed_currency(country: str) -> str:
    currencies = get_territory_currencies(country, date.today()) if country else []
    known = dict(CURRENCY_CHOICES)
    return next((code for code in currencies if code in known), "EUR")


def create_account(email: str, company: str, country: str, password: str | None = None,
                   ask=None, verified: bool = True, first_name: str = "",
                   last_name: str = "") -> tuple[Account, Entity, User, bool]:  # fmt: skip
    """The Account, its Entity, the owner, and whether the owner's login is new. An
    existing login becomes the owner as it is; a new one gets `password` (or `ask()`'s).
    Unverified (sign-up), the Account invoices nothing until its email is confirmed."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    new_login = user is None
    if new_login:
        password = password or (ask() if ask else "")
        if not password:
            raise AccountError("A new login needs a password.")
        try:
            validate_password(password, User(email=email))
        except ValidationError as error:
            raise AccountError(" ".join(error.messages)) from error
        user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name)
    account = Account.objects.create(name=company, verified_at=None)
    if verified:
        account.verified_at = account.created_at
        account.save(update_fields=["verified_at"])
    entity = Entity.objects.create(
        account=account,
        name=company[:100],
        legal_name=company,
        country=country,
        default_currency=guessed_currency(country),
        time_zone=guessed_time_zone(country),
    )
    Membership.objects.create(user=user, account=account, role=Membership.OWNER)
    record(account, AccountEvent.SIGNED_UP, user, f"{company} ({country})")
    return account, entity, user, new_login


VERIFY_SALT = "leadflip.verify-email"


def verification_link(account: Account, user: User) -> str:
    token = signing.dumps({"account": account.pk, "user": user.pk}, salt=VERIFY_SALT)
    return site_url() + reverse("verify_email", args=[token])


def mail_verification(account: Account, user: User) -> None:
    """The link that confirms the owner's email address, through the installation's mail
    server, in the language the owner reads the pages in."""
    with translation.override(user.language or translation.get_language()):
        send_mail(
            _("Confirm your email address for Leadflip"),
            _(
                "Welcome to Leadflip Invoicing.\n\nConfirm that {email} is yours, so that "
                "{account} can issue invoices (the link works for {days} days):\n{link}\n\n"
                "If you did not sign up, ignore this email."
            ).format(
                email=user.email,
                account=account,
                days=settings.VERIFICATION_DAYS,
                link=verification_link(account, user),
            ),
            None,
            [user.email],
        )


def verify(token: str) -> Account | None:
    """Confirm the Account of a verification link; None when the link is bad or too old."""
    try:
        data = signing.loads(
            token, salt=VERIFY_SALT, max_age=settings.VERIFICATION_DAYS * 24 * 3600
        )
    except signing.BadSignature:
        return None
    account = Account.objects.filter(
        pk=data.get("account"), memberships__user=data.get("user")
    ).first()
    if account is not None and account.verified_at is None:
        account.verified_at = timezone.now()
        account.save(update_fields=["verified_at"])
        record(account, AccountEvent.VERIFIED, User.objects.get(pk=data["user"]))
    return account
