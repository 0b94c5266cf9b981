"""The rules of lead returns: which policy governs a delivery, until when it can be
returned, and how many returns a partner has left in a month. Submitting and deciding
returns, and what a decision does to invoices and payouts, is invoicing.returns.

The cap counts per partner, per policy and per month of delivery (in the Entity's time
zone): returns waiting or accepted when a partner submits, accepted ones when the operator
accepts, so that a cap is never exceeded by either."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max, Q
from django.utils.translation import gettext as _

from entities.models import Entity

from .models import Assignment, DistributionTransaction, LeadReturn, ReturnPolicy


def policy_for(assignment: Assignment) -> ReturnPolicy | None:
    """The assignment's own policy, else its profile's, else None (no returns)."""
    return policies_for([assignment]).get(assignment.pk)


def policies_for(assignments) -> dict[int, ReturnPolicy]:
    """Assignment id → the policy that governs it, for those that have one."""
    assignments = list(assignments)
    policies = ReturnPolicy.objects.filter(
        Q(assignment__in=[a.pk for a in assignments])
        | Q(profile__in={a.profile_id for a in assignments})
    ).prefetch_related("auto_approve_partners")
    own = {p.assignment_id: p for p in policies if p.assignment_id}
    of_profile = {p.profile_id: p for p in policies if p.profile_id}
    found = {a.pk: own.get(a.pk) or of_profile.get(a.profile_id) for a in assignments}
    return {pk: policy for pk, policy in found.items() if policy is not None}


def window_closes_at(delivery: DistributionTransaction, policy: ReturnPolicy) -> datetime:
    return delivery.delivered_at + timedelta(days=policy.window_days)


def longest_window_days(entity: Entity) -> int:
    """The longest return window of the Entity's policies (0 without any): a period's
    returns can come in until this many days after it ends."""
    longest = ReturnPolicy.objects.filter(
        Q(profile__entity=entity) | Q(assignment__profile__entity=entity)
    ).aggregate(days=Max("window_days"))["days"]
    return longest or 0


def month_of(moment: datetime, entity: Entity) -> tuple[datetime, datetime]:
    """The bounds of the calendar month, in the Entity's time zone, that `moment` fell in."""
    tz = ZoneInfo(entity.time_zone)
    local = moment.astimezone(tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz)
    following = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=tz)
    return start, following


def _governed(policy: ReturnPolicy, partner_id: int):
    """The partner's deliveries that the policy governs."""
    deliveries = DistributionTransaction.objects.filter(partner_id=partner_id)
    if policy.assignment_id:
        return deliveries.filter(assignment_id=policy.assignment_id)
    return deliveries.filter(
        assignment__profile_id=policy.profile_id, assignment__return_policy__isnull=True
    )


@dataclass(frozen=True)
class Allowance:
    """How many returns a partner may still make for one policy and month (None: no cap)."""

    cap: int | None
    used: int

    @property
    def left(self) -> int | None:
        return None if self.cap is None else max(self.cap - self.used, 0)

    def with_one_more(self) -> "Allowance":
        return Allowance(self.cap, self.used + 1)


def allowance(
    policy: ReturnPolicy,
    partner_id: int,
    month: tuple[datetime, datetime],
    statuses=(LeadReturn.PENDING, LeadReturn.APPROVED),
    exclude: int | None = None,
) -> Allowance:
    """The partner's cap and the returns that count against it in the month of delivery.
    Callers that enforce the cap hold the partner's row lock (invoicing.returns)."""
    in_month = _governed(policy, partner_id).filter(
        delivered_at__gte=month[0], delivered_at__lt=month[1]
    )
    caps = []
    if policy.cap_count is not None:
        caps.append(policy.cap_count)
    if policy.cap_percent is not None:
        share = Decimal(in_month.count()) * policy.cap_percent / 100
        caps.append(int(share.to_integral_value(ROUND_FLOOR)))
    counted = LeadReturn.objects.filter(delivery__in=in_month, status__in=statuses).exclude(
        pk=exclude
    )
    return Allowance(min(caps) if caps else None, counted.count() if caps else 0)


def submission_problem(
    delivery: DistributionTransaction,
    policy: ReturnPolicy | None,
    reason: str,
    evidence: str,
    at: datetime,
) -> str:
    """Why the delivery cannot be returned with this reason at `at`, or "". The cap is
    checked by the caller, which counts the returns of the same submission as it goes."""
    if policy is None:
        return _("Leads of this profile cannot be returned.")
    if delivery.is_cancelled:
        return _("This delivery is already cancelled.")
    if at > window_closes_at(delivery, policy):
        return _("The return window of {days} days after delivery has closed.").format(
            days=policy.window_days
        )
    if reason not in policy.reason_list:
        return _("“{reason}” is not a reason this profile accepts.").format(reason=reason)
    if policy.evidence_required and not evidence.strip():
        return _("Say what you found: this profile asks for evidence with each return.")
    return ""


def offered_reasons(policies) -> list[str]:
    """The reasons a partner can choose from under these policies, each once, in order."""
    return list(dict.fromkeys(reason for policy in policies for reason in policy.reason_list))


def is_auto_approved(policy: ReturnPolicy, partner_id: int, reason: str) -> bool:
    return reason in policy.auto_approve_reason_list or any(
        partner.pk == partner_id for partner in policy.auto_approve_partners.all()
    )
