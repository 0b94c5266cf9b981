"""Lead returns: a partner (in the portal) or the operator's systems (the API) ask to return
leads they were delivered; the operator accepts or rejects each request, one by one or in
bulk. The rules (policy, window, cap) are distribution.returns; this package applies them
and carries a decision through:

- an accepted return is a cancellation "returned by partner" (corrections.cancel_deliveries):
  before invoicing the lead is not billed, on a draft the draft is recomputed, after
  finalizing it goes onto the credit note for that invoice;
- when the policy passes returns back, the lead's supplier is not paid for it either
  (payouts.return_supplied_leads): its payout draft is recomputed, or a self-billed credit
  note is drawn up for a finalized payout.

Window and cap are checked on submission and again on acceptance, under the partner's row
lock, so that concurrent submissions cannot together exceed a cap. The partner hears of
each decision by email, in its language (notify)."""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from distribution.models import DistributionTransaction, Lead, LeadReturn
from distribution.returns import (
    allowance,
    is_auto_approved,
    month_of,
    policies_for,
    submission_problem,
    window_closes_at,
)
from distribution.services import DeliveryError
from entities.models import AccountEvent
from entities.team import record
from partners.models import Partner

from .. import announcements
from ..corrections import cancel_deliveries
from ..models import InvoicingError
from ..payouts import return_supplied_leads

logger = logging.getLogger(__name__)

MAX_PER_SUBMISSION = 1000


@dataclass
class Outcome:
    """What a submission or a decision did: the returns it created or decided, and why the
    others were refused (by lead id for a submission, by return id for a decision)."""

    returns: list[LeadReturn] = field(default_factory=list)
    refused: dict = field(default_factory=dict)


def parse_lead_ids(text: str) -> list[str]:
    """Lead ids from pasted text or a CSV file: one per line, or separated by commas,
    semicolons or tabs; a header "lead" is ignored, as are repeats."""
    ids = []
    for line in text.splitlines():
        for value in line.replace(";", ",").replace("\t", ",").split(","):
            value = value.strip().strip('"').strip()
            if value and value.lower() not in ("lead", "lead id", "lead_id") and value not in ids:
                ids.append(value)
    return ids


def submit_returns(
    partner: Partner, lead_ids: list[str], reason: str, evidence: str, by: str
) -> Outcome:
    """Ask to return the partner's deliveries of these leads. Each delivery that passes the
    rules becomes a waiting return, or an accepted one where the policy approves the partner
    or the reason at once; the others are refused with the reason why. Atomic."""
    reason, evidence = reason.strip(), evidence.strip()
    if not lead_ids:
        raise InvoicingError(_("Give at least one lead id."))
    if len(lead_ids) > MAX_PER_SUBMISSION:
        raise InvoicingError(
            _("At most {count} leads can be returned at once.").format(count=MAX_PER_SUBMISSION)
        )
    if not reason:
        raise InvoicingError(_("Choose a reason."))
    outcome = Outcome()
    now = timezone.now()
    with transaction.atomic():
        # One submission or acceptance per partner at a time: the cap counts what they add.
        # NO KEY UPDATE: deliveries and invoices for the partner, which take a key-share lock
        # on its row, go on meanwhile.
        Partner.objects.select_for_update(no_key=True).get(pk=partner.pk)
        deliveries = list(
            DistributionTransaction.objects.filter(partner=partner, lead__external_id__in=lead_ids)
            .select_related("lead", "assignment")
            .order_by("delivered_at", "pk")
        )
        returned = set(
            LeadReturn.objects.filter(delivery__in=deliveries).values_list("delivery_id", flat=True)
        )
        policies = policies_for({d.assignment for d in deliveries})
        allowances = {}
        found = {d.lead.external_id for d in deliveries}
        for lead_id in lead_ids:
            if lead_id not in found:
                outcome.refused[lead_id] = _("No lead with this id was delivered to you.")
        automatic = []
        for delivery in deliveries:
            lead_id = delivery.lead.external_id
            policy = policies.get(delivery.assignment_id)
            if delivery.pk in returned:
                outcome.refused[lead_id] = _("This lead has been returned already.")
                continue
            if problem := submission_problem(delivery, policy, reason, evidence, now):
                outcome.refused[lead_id] = problem
                continue
            key = (policy.pk, month_of(delivery.delivered_at, partner.entity))
            if key not in allowances:
                allowances[key] = allowance(policy, partner.pk, key[1])
            cap = allowances[key]
            if cap.left == 0:
                outcome.refused[lead_id] = _(
                    "The limit of {cap} returns for leads delivered in this month is reached."
                ).format(cap=cap.cap)
                continue
            allowances[key] = cap.with_one_more()
            lead_return = LeadReturn.objects.create(
                entity=partner.entity,
                partner=partner,
                delivery=delivery,
                reason=reason,
                evidence=evidence,
                submitted_at=now,
                submitted_by=by,
            )
            outcome.returns.append(lead_return)
            if is_auto_approved(policy, partner.pk, reason):
                automatic.append(lead_return)
        if outcome.returns:
            record(
                partner.entity.account,
                AccountEvent.RETURNS_REQUESTED,
                by,
                f"{partner.name}: {_lead_list(outcome.returns)} · {reason}",
            )
        if automatic:
            try:
                with transaction.atomic():  # if it cannot be decided now, the returns wait
                    decide_returns(automatic, True, "", LeadReturn.AUTOMATIC)
            except InvoicingError:
                logger.info("Returns of %s wait: not decided automatically", partner.pk)
    return outcome


def decide_returns(returns, approve: bool, note: str, by) -> Outcome:
    """Accept or reject waiting returns, in one transaction however many. An acceptance is
    checked again against the policy as it is now (the window, judged at submission, and
    the cap, counting accepted returns); a return that fails stays waiting and is listed in
    `refused`, with the reason. A rejection needs a note, which the partner reads.
    `by` is a user, or a description of who decided."""
    note = note.strip()
    if not approve and not note:
        raise InvoicingError(_("Say why the returns are rejected; the partner reads it."))
    ids = sorted(r.pk for r in returns)
    outcome = Outcome()
    with transaction.atomic():
        pending = LeadReturn.objects.filter(pk__in=ids, status=LeadReturn.PENDING)
        partner_ids = sorted(set(pending.values_list("partner_id", flat=True)))
        locked_partners = Partner.objects.select_for_update(no_key=True).filter(pk__in=partner_ids)
        list(locked_partners.order_by("pk"))
        pending = list(
            pending.select_for_update(of=("self",))
            .select_related("delivery__lead", "delivery__assignment", "partner__entity__account")
            .order_by("pk")
        )
        decided = _acceptable(pending, outcome) if approve else pending
        if not decided:
            return outcome
        now = timezone.now()
        actor = by if isinstance(by, str) else getattr(by, "email", "")
        status = LeadReturn.APPROVED if approve else LeadReturn.REJECTED
        if approve:
            try:
                cancel_deliveries(
                    [r.delivery for r in decided], DistributionTransaction.REASON_RETURNED, by
                )
            except DeliveryError:  # cancelled by hand since _acceptable looked
                raise InvoicingError(
                    _("A delivery was cancelled meanwhile; please decide again.")
                ) from None
            passed = _pass_back(decided, by)
            LeadReturn.objects.filter(pk__in=[r.pk for r in passed]).update(passed_back=True)
            for lead_return in passed:
                lead_return.passed_back = True
        LeadReturn.objects.filter(pk__in=[r.pk for r in decided]).update(
            status=status, decided_at=now, decided_by=actor, decision_note=note[:500]
        )
        for lead_return in decided:
            lead_return.status, lead_return.decided_at = status, now
            lead_return.decided_by, lead_return.decision_note = actor, note[:500]
        outcome.returns = decided
        by_account = {}
        for lead_return in decided:
            by_account.setdefault(lead_return.partner.entity.account, []).append(lead_return)
        verb = "accepted" if approve else "rejected"
        for account, decided_here in by_account.items():
            detail = f"{verb}: {_lead_list(decided_here)}" + (f" · {note}" if note else "")
            record(account, AccountEvent.RETURNS_DECIDED, by, detail)
        by_entity = {}
        for lead_return in decided:
            by_entity.setdefault(lead_return.partner.entity, []).append(lead_return)
        for entity, decided_here in by_entity.items():
            announcements.returns_decided(entity, decided_here, status, note[:500])
        _mail_after_commit(decided)
    return outcome


def _pass_back(accepted: list[LeadReturn], by) -> list[LeadReturn]:
    """Correct the suppliers' payouts for the accepted returns whose policy passes them
    back, and return those corrected. A supplier is paid once per lead, however many buyers
    bought it: it loses the payment once no buyer pays for the lead any more, so a lead
    another buyer keeps is still paid out."""
    candidates = [r for r in accepted if r.policy.pass_back and r.delivery.lead.supplier_id]
    unpaid = set(
        Lead.objects.filter(pk__in=[r.delivery.lead_id for r in candidates])
        .exclude(transactions__status=DistributionTransaction.DELIVERED)
        .values_list("pk", flat=True)
    )
    corrected = return_supplied_leads(
        [r.delivery.lead for r in candidates if r.delivery.lead_id in unpaid], by
    )
    return [r for r in candidates if r.delivery.lead_id in corrected]


def _mail_after_commit(decided: list[LeadReturn]) -> None:
    """One email task per partner, so that a retry for one never mails another twice."""
    from ..tasks import mail_return_decisions

    by_partner = {}
    for lead_return in decided:
        by_partner.setdefault(lead_return.partner_id, []).append(lead_return.pk)
    for ids in by_partner.values():
        transaction.on_commit(lambda ids=ids: mail_return_decisions.delay(ids))


def _acceptable(pending: list[LeadReturn], outcome: Outcome) -> list[LeadReturn]:
    """The waiting returns that the policy still allows, each with its `policy`; the others
    go to outcome.refused."""
    policies = policies_for({r.delivery.assignment for r in pending})
    allowances = {}
    accepted = []
    for lead_return in pending:
        delivery = lead_return.delivery
        policy = policies.get(delivery.assignment_id)
        if policy is None:
            outcome.refused[lead_return.pk] = _(
                "Its profile takes no returns any more: reject it, or give the profile a "
                "return policy again."
            )
            continue
        if delivery.is_cancelled:
            outcome.refused[lead_return.pk] = _(
                "The delivery was cancelled meanwhile: reject the return."
            )
            continue
        if lead_return.submitted_at > window_closes_at(delivery, policy):
            outcome.refused[lead_return.pk] = _(
                "It came after the return window of {days} days."
            ).format(days=policy.window_days)
            continue
        month = month_of(delivery.delivered_at, lead_return.partner.entity)
        key = (policy.pk, lead_return.partner_id, month)
        if key not in allowances:
            allowances[key] = allowance(
                policy, lead_return.partner_id, key[2], statuses=[LeadReturn.APPROVED]
            )
        cap = allowances[key]
        if cap.left == 0:
            outcome.refused[lead_return.pk] = _(
                "The partner has {cap} accepted returns for that month already, the limit."
            ).format(cap=cap.cap)
            continue
        allowances[key] = cap.with_one_more()
        lead_return.policy = policy
        accepted.append(lead_return)
    return accepted


def _lead_list(returns: list[LeadReturn], shown: int = 10) -> str:
    """ "3 leads: L-1, L-2, L-3", with at most `shown` ids."""
    ids = [r.delivery.lead.external_id for r in returns]
    more = f", … (+{len(ids) - shown})" if len(ids) > shown else ""
    return f"{len(ids)} lead{'s' if len(ids) != 1 else ''}: " + ", ".join(ids[:shown]) + more


def decided_message(outcome: Outcome, approve: bool) -> str:
    """The operator's confirmation of a decision."""
    count = len(outcome.returns)
    if approve:
        return ngettext("{count} return accepted.", "{count} returns accepted.", count).format(
            count=count
        )
    return ngettext("{count} return rejected.", "{count} returns rejected.", count).format(
        count=count
    )
