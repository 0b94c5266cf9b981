"""Who works in an Account: invitations by email with a role, role changes, removals, and
the rule that an Account always keeps an owner. Every change is in its audit trail
(AccountEvent)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Account, AccountEvent, Invitation, Membership, User
from .security import within_hourly_limit
from .site import site_url


class TeamError(Exception):
    """A change the team rules refuse, in words for the owner."""


def record(account: Account, kind: str, actor, detail: str = "") -> AccountEvent:
    """Add an entry to the Account's audit trail; `actor` is a user, a description or None."""
    who = actor.email if isinstance(actor, User) else str(actor or "")
    return AccountEvent.objects.create(account=account, kind=kind, actor=who, detail=detail[:500])


def record_for_user(user: User, kind: str, detail: str = "") -> None:
    """A change to a member's own login, in the audit trail of each of its Accounts."""
    for membership in Membership.objects.filter(user=user).select_related("account"):
        record(membership.account, kind, user, detail)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(account: Account, email: str, role: str, by: User) -> tuple[Invitation, str]:
    """Invite `email` to the Account with `role`; the invitation and the token of its link.
    A pending invitation to the same address is replaced."""
    email = email.strip().lower()
    if account.verified_at is None:
        raise TeamError(_("Confirm your email address before you invite anyone."))
    if not within_hourly_limit(f"invitations:{account.pk}", settings.INVITATIONS_PER_HOUR):
        raise TeamError(_("Too many invitations in the last hour; try again later."))
    if Membership.objects.filter(account=account, user__email__iexact=email).exists():
        raise TeamError(_("{email} is already a member of this account.").format(email=email))
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(
            account=account, email__iexact=email, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            account=account,
            email=email,
            role=role,
            token_hash=_hash(token),
            invited_by=by,
            expires_at=now + timedelta(days=settings.INVITATION_DAYS),
        )
        record(account, AccountEvent.INVITED, by, f"{email} as {role}")
    return invitation, token


def invitation_link(token: str) -> str:
    return site_url() + reverse("accept_invitation", args=[token])


def mail_invitation(invitation: Invitation, token: str) -> None:
    """Email the invitation link, through the installation's own mail server (as password
    resets): the Account's mail server is for its partners."""
    inviter = invitation.invited_by
    with translation.override((inviter and inviter.language) or settings.LANGUAGE_CODE):
        role = dict(Membership.ROLE_CHOICES)[invitation.role]
        send_mail(
            _("You are invited to {account} on Leadflip").format(account=invitation.account),
            _(
                "{inviter} invites you to work in {account} on Leadflip Invoicing, as {role}.\n\n"
                "Accept the invitation here (the link works until {expires}):\n{link}\n\n"
                "If you did not expect this, ignore this email."
            ).format(
                inviter=inviter or _("An owner"),
                account=invitation.account,
                role=str(role).lower(),
                expires=timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
                link=invitation_link(token),
            ),
            None,
            [invitation.email],
        )


def pending_invitation(token: str) -> Invitation | None:
    """The invitation of this link, while it can still be accepted."""
    invitation = (
        Invitation.objects.select_related("account").filter(token_hash=_hash(token)).first()
    )
    if invitation is None or invitation.status(timezone.now()) != Invitation.PENDING:
        return None
    return invitation


def accept(invitation: Invitation, user: User) -> Membership:
    """Make `user` a member with the invitation's role; the invitation is used up."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status(timezone.now()) != Invitation.PENDING:
            raise TeamError(_("This invitation has expired or was revoked: ask for a new one."))
        if user.email.lower() != invitation.email.lower():
            raise TeamError(
                _("This invitation is for {email}: log in with that address.").format(
                    email=invitation.email
                )
            )
        membership, created = Membership.objects.get_or_create(
            user=user, account=invitation.account, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        if created:
            record(invitation.account, AccountEvent.JOINED, user, f"as {membership.role}")
    return membership


def revoke(invitation: Invitation, by: User) -> None:
    if invitation.status(timezone.now()) != Invitation.PENDING:
        raise TeamError(_("Only a pending invitation can be revoked."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record(invitation.account, AccountEvent.INVITATION_REVOKED, by, invitation.email)


def _locked(membership: Membership) -> Membership:
    """The membership as it is now, locked: its role may have changed since it was read."""
    return (
        Membership.objects.select_for_update()
        .select_related("user", "account")
        .get(pk=membership.pk)
    )


def _other_owners(membership: Membership) -> int:
    """How many owners the Account has besides this member, counted under a lock so that two
    owners demoting each other at once cannot leave none."""
    owners = Membership.objects.select_for_update().filter(
        account=membership.account_id, role=Membership.OWNER
    )
    return sum(1 for owner in owners if owner.pk != membership.pk)


def change_role(membership: Membership, role: str, by: User) -> None:
    with transaction.atomic():
        membership = _locked(membership)
        if role == membership.role:
            return
        if membership.role == Membership.OWNER and not _other_owners(membership):
            raise TeamError(
                _("{email} is the account's only owner: make someone else owner first.").format(
                    email=membership.user.email
                )
            )
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record(membership.account, AccountEvent.ROLE_CHANGED, by,
               f"{membership.user.email}: {old} → {role}")  # fmt: skip


def remove(membership: Membership, by: User) -> None:
    with transaction.atomic():
        membership = _locked(membership)
        if membership.role == Membership.OWNER and not _other_owners(membership):
            raise TeamError(
                _("{email} is the account's only owner and cannot be removed.").format(
                    email=membership.user.email
                )
            )
        membership.delete()
        record(membership.account, AccountEvent.REMOVED, by, membership.user.email)
