"""Giving partners access to the portal: invitations and password-reset links.

A link carries a one-time token (Django's password-reset token scheme): it stops working
once the password is set and after PASSWORD_RESET_TIMEOUT.
"""

import contextlib

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from entities import mail
from entities.site import site_url

from .models import Partner, PartnerUser


class PortalAccessError(Exception):
    pass


class PortalTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "leadflip.partners.portal_access"

    def _make_hash_value(self, user, timestamp):
        login = "" if user.last_login is None else user.last_login.replace(microsecond=0)
        return f"{user.pk}{user.password}{login}{timestamp}{user.email}{user.is_active}"


portal_tokens = PortalTokenGenerator()


def set_password_url(user: PartnerUser) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("portal:set_password", args=[uid, portal_tokens.make_token(user)])
    return site_url() + path


def invite(partner: Partner, email: str) -> PartnerUser:
    """Create a portal login for the partner and email it a link to set its password."""
    email = email.strip().lower()
    mail.smtp_of(partner.entity.account)  # raises MailNotConfigured before anything changes
    try:
        with transaction.atomic():
            user, created = PartnerUser.objects.get_or_create(
                email=email, defaults={"partner": partner}
            )
    except IntegrityError:
        raise PortalAccessError(_("This address already has a portal login.")) from None
    if user.partner_id != partner.pk:
        raise PortalAccessError(_("This address already has a portal login for another partner."))
    if user.has_password:
        raise PortalAccessError(
            _("This login is already active; the partner can reset its password.")
        )
    user.is_active = True
    user.invited_at = timezone.now()
    user.save(update_fields=["is_active", "invited_at"])
    seller = partner.entity.legal_name
    with translation.override(partner.document_language):
        _send(
            partner,
            user,
            _("Your access to the {seller} partner portal").format(seller=seller),
            _(
                "Hello,\n\n{seller} invites you to its partner portal, where you find your "
                "leads and invoices.\n\nSet your password here (the link works once and expires "
                "in {days} days):\n{url}\n\nYour login is {email}.\n"
            ).format(
                seller=seller,
                days=settings.PASSWORD_RESET_TIMEOUT // 86400,
                url=set_password_url(user),
                email=user.email,
            ),
        )
    return user


def send_password_reset(email: str) -> None:
    """Email a reset link if the address belongs to an active portal login; say nothing
    either way, so the form does not reveal which addresses exist."""
    user = (
        PartnerUser.objects.with_scopes_disabled()
        .select_related("partner__entity__account")
        .filter(email=email.strip().lower(), is_active=True)
        .first()
    )
    if user is None:
        return
    # The partner sees the same answer if mail fails; the operator's server needs attention.
    with (
        contextlib.suppress(
            mail.MailNotConfigured, mail.TemporaryMailError, mail.PermanentMailError
        ),
        translation.override(user.partner.document_language),
    ):
        _send(
            user.partner,
            user,
            _("Reset your partner portal password"),
            _(
                "Hello,\n\nsomeone asked to reset the password of your partner portal login "
                "{email}. Set a new one here (the link works once):\n{url}\n\nIf it was not "
                "you, ignore this email.\n"
            ).format(email=user.email, url=set_password_url(user)),
        )


def _send(partner: Partner, user: PartnerUser, subject: str, body: str) -> None:
    mail.send(partner.entity.account, EmailMessage(subject=subject, body=body, to=[user.email]))
