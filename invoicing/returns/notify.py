"""Telling partners what became of their lead returns: one email per partner and decision
batch, in the partner's language, through the Account's mail server."""

import logging

from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from distribution.models import LeadReturn
from entities import mail
from entities.site import site_url

logger = logging.getLogger(__name__)


def decision_message(partner, returns: list[LeadReturn]) -> EmailMessage:
    entity = partner.entity
    with translation.override(partner.document_language):
        accepted = [r for r in returns if r.status == LeadReturn.APPROVED]
        rejected = [r for r in returns if r.status == LeadReturn.REJECTED]
        lines = [
            _("Hello,"),
            "",
            _("{company} has decided on your lead returns:").format(company=entity.legal_name),
            "",
        ]
        if accepted:
            lines.append(
                ngettext(
                    "Accepted ({count}), not billed or credited to you:",
                    "Accepted ({count}), not billed or credited to you:",
                    len(accepted),
                ).format(count=len(accepted))
            )
            lines += [f"  {r.delivery.lead.external_id} ({r.reason})" for r in accepted]
            lines.append("")
        if rejected:
            lines.append(
                ngettext("Rejected ({count}):", "Rejected ({count}):", len(rejected)).format(
                    count=len(rejected)
                )
            )
            lines += [
                f"  {r.delivery.lead.external_id} ({r.reason}): {r.decision_note}" for r in rejected
            ]
            lines.append("")
        if partner.portal_users.filter(is_active=True).exists():
            lines.append(
                _("Your returns are listed in the partner portal: {url}").format(
                    url=site_url() + reverse("portal:returns")
                )
            )
        subject = _("Your lead returns: {accepted} accepted, {rejected} rejected").format(
            accepted=len(accepted), rejected=len(rejected)
        )
    return EmailMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        to=[partner.email],
        cc=[address for address in partner.cc_list if address != partner.email],
        reply_to=[entity.email] if entity.email else None,
    )


def mail_decisions(return_ids: list[int]) -> int:
    """Email each partner its decided returns among these. Returns the emails sent. A
    partner without a billing email, or an Account without a mail server, gets none (the
    portal shows the decisions); a temporary failure raises for the task to retry."""
    returns = (
        LeadReturn.objects.filter(pk__in=return_ids)
        .exclude(status=LeadReturn.PENDING)
        .select_related("delivery__lead", "partner__entity__account")
        .order_by("partner_id", "pk")
    )
    by_partner = {}
    for lead_return in returns:
        by_partner.setdefault(lead_return.partner, []).append(lead_return)
    sent = 0
    for partner, decided in by_partner.items():
        if not partner.email:
            continue
        try:
            mail.send(partner.entity.account, decision_message(partner, decided))
        except mail.MailNotConfigured:
            logger.info("Returns of %s decided; no mail server to tell it", partner.pk)
            continue
        except mail.PermanentMailError as error:
            logger.warning("Returns of %s decided; the mail was refused: %s", partner.pk, error)
            continue
        sent += 1
    return sent
