"""Small factory functions for test data. Call them inside the tests' disabled scope."""

import itertools
from datetime import date, datetime
from decimal import Decimal

from distribution.models import Assignment, DistributionProfile
from distribution.services import record_delivery
from entities.models import Account, Entity, Membership, User
from partners.models import Partner

_seq = itertools.count(1)


def make_account(name: str = "Acme Leads") -> Account:
    return Account.objects.create(name=name)


# A state or province for an address in a country that needs one, unless the test gives it.
SOME_REGION = {"US": "NY", "CA": "ON"}


def with_region(fields: dict) -> dict:
    if "region" not in fields and fields.get("country") in SOME_REGION:
        return {**fields, "region": SOME_REGION[fields["country"]]}
    return fields


def make_entity(account: Account, **fields) -> Entity:
    defaults = {
        "name": "Acme DE",
        "legal_name": "Acme Leads GmbH",
        "street": "Friedrichstraße 10",
        "postcode": "10117",
        "city": "Berlin",
        "country": "DE",
        "vat_id": "DE136695976",
        "tax_number": "27/123/45678",
        "tax_office": "Finanzamt Berlin Mitte/Tiergarten",
        "email": "billing@acme.test",
        "bank_name": "Berliner Bank",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "default_currency": "EUR",
        "contact_name": "Anna Becker",
        "phone": "+49 30 1234567",
        "payment_terms_days": 14,
        "time_zone": "Europe/Berlin",
    }
    country = fields.get("country", "DE")
    defaults |= REGISTERED_COMPANY.get(country, {})
    return Entity.objects.create(account=account, **with_region({**defaults, **fields}))


# What each country asks an invoice to say about a company (entities.national_mentions).
REGISTERED_COMPANY = {
    "DE": {"legal_form": "GmbH", "register_court": "Amtsgericht Berlin (Charlottenburg)",
           "register_number": "HRB 12345", "managing_directors": "Anna Becker"},
    "AT": {"legal_form": "GmbH", "register_court": "Handelsgericht Wien",
           "register_number": "FN 122119m"},
    "FR": {"legal_form": "SAS", "register_court": "Lyon", "register_number": "732 829 320",
           "share_capital": Decimal("10000"),
           "late_payment_penalty": "taux directeur de la BCE majoré de 10 points"},
    "BE": {"legal_form": "SRL", "register_court": "Bruxelles", "register_number": "0403.170.701"},
    "NL": {"register_number": "12345678"},
    "ES": {"register_court": "Registro Mercantil de Madrid",
           "register_number": "Tomo 1234, Folio 56, Hoja M-78901"},
    "IT": {"legal_form": "SRL", "register_court": "Registro delle imprese di Milano",
           "register_number": "MI-1234567", "share_capital": Decimal("10000")},
}  # fmt: skip


def make_user(account: Account | None = None, role: str = Membership.OWNER, email=None) -> User:
    user = User.objects.create_user(email or f"user{next(_seq)}@example.test", "correct-horse-42")
    if account is not None:
        Membership.objects.create(user=user, account=account, role=role)
    return user


def make_partner(entity: Entity, **fields) -> Partner:
    n = next(_seq)
    defaults = {
        "name": f"Partner {n}",
        "legal_name": f"Partner {n} GmbH",
        "street": "Hauptstraße 1",
        "postcode": "80331",
        "city": "München",
        "country": "DE",
        "vat_id": "",
        "email": f"billing{n}@partner.test",
        "payment_terms_days": 14,
        # The specifications read English documents; tests of other languages ask for theirs.
        "language": "en",
    }
    if fields.get("country") == "FR":
        defaults["registration_number"] = "552 100 554"
    return Partner.objects.create(entity=entity, **with_region({**defaults, **fields}))


def make_profile(entity: Entity, base_price="10.00", currency="EUR", name=None):
    return DistributionProfile.objects.create(
        entity=entity,
        name=name or f"Profile {next(_seq)}",
        base_price=Decimal(base_price),
        currency=currency,
    )


def make_assignment(profile, partner, price_override=None, name=None) -> Assignment:
    return Assignment.objects.create(
        profile=profile,
        partner=partner,
        name=name or f"Segment {next(_seq)}",
        price_override=Decimal(price_override) if price_override is not None else None,
    )


def deliver(assignment: Assignment, count: int = 1, at: datetime | None = None) -> list:
    """Record `count` deliveries of new leads through the assignment."""
    return [
        record_delivery(assignment, f"lead-{next(_seq)}", delivered_at=at)[0] for _ in range(count)
    ]


def make_draft(entity, partner=None, leads: int = 2, price="10.00", at: datetime | None = None):
    """A draft invoice for October 2026 with `leads` deliveries on it."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from invoicing.billing import generate_drafts
    from invoicing.models import Invoice

    partner = partner or make_partner(entity)
    assignment = make_assignment(make_profile(entity, price), partner)
    deliver(assignment, leads, at or datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin")))
    generate_drafts(entity, date(2026, 10, 1), date(2026, 10, 31))
    return Invoice.objects.get(partner=partner, status=Invoice.DRAFT)


def make_final(entity, partner=None, **kwargs):
    from invoicing.billing import finalize_invoice

    return finalize_invoice(make_draft(entity, partner, **kwargs))


def backdate(invoice, days: int):
    """Let `days` pass for a finalized invoice: move its issue and due dates back.

    A finalized invoice is protected by a database trigger; time travel in tests switches
    triggers off for this one statement (replica mode, as PostgreSQL's own replication does).
    """
    from datetime import timedelta

    from django.db import connection

    from invoicing.models import Invoice

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        Invoice.objects.filter(pk=invoice.pk).update(
            issue_date=invoice.issue_date - timedelta(days=days),
            due_date=invoice.due_date - timedelta(days=days),
        )
        cursor.execute("SET session_replication_role = origin")
    invoice.refresh_from_db()
    return invoice


OCTOBER = (datetime(2026, 10, 1).date(), datetime(2026, 10, 31).date())


def make_supplier(entity: Entity, agreement: bool = True, **fields) -> Partner:
    """A lead supplier (an affiliate), with an accepted self-billing agreement unless told."""
    from django.utils import timezone

    from partners.checks import refresh_invoicing_problems
    from partners.models import SelfBillingAgreement

    defaults = {
        "is_buyer": False,
        "is_supplier": True,
        "iban": "DE02120300000000202051",
        "tax_number": "21/815/08150",  # a VAT-registered German business with a Steuernummer
    }
    if fields.get("vat_status") == Partner.PRIVATE_PERSON:
        defaults.update(
            kind=Partner.INDIVIDUAL, tax_number="", not_a_business_declared_on=date(2026, 1, 5)
        )
    supplier = make_partner(entity, **{**defaults, **fields})
    if agreement:
        SelfBillingAgreement.objects.create(
            partner=supplier,
            terms_version=entity.self_billing_terms_version or "1",
            accepted_at=timezone.now(),
            accepted_by="owner@supplier.test",
            recorded_by="test",
        )
    refresh_invoicing_problems(supplier)
    return supplier


def supply(entity, supplier, count: int = 1, price="4.00", at: datetime | None = None) -> list:
    """Record `count` new leads brought by `supplier` at the purchase price `price`."""
    from zoneinfo import ZoneInfo

    from distribution.services import record_lead_source

    at = at or datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    return [
        record_lead_source(entity, f"lead-{next(_seq)}", supplier, Decimal(price), at)[0]
        for _ in range(count)
    ]


def make_payout(entity, supplier=None, leads: int = 3, price="4.00"):
    """A draft self-billed invoice for October 2026 with `leads` supplied leads on it."""
    from invoicing.models import Invoice
    from invoicing.payouts import generate_payout_drafts

    supplier = supplier or make_supplier(entity)
    supply(entity, supplier, leads, price)
    generate_payout_drafts(entity, *OCTOBER)
    return Invoice.objects.get(partner=supplier, self_billed=True, status=Invoice.DRAFT)


def make_return_policy(owner, **fields):
    """A return policy of a profile or an assignment: 7 days, no cap, unless told."""
    from distribution.models import Assignment, ReturnPolicy

    field = "assignment" if isinstance(owner, Assignment) else "profile"
    partners = fields.pop("auto_approve_partners", [])
    policy = ReturnPolicy.objects.create(**{field: owner}, **fields)
    policy.auto_approve_partners.set(partners)
    return policy


def period_of(moment: datetime, time_zone: str = "Europe/Berlin") -> tuple[date, date]:
    """The calendar month, in the Entity's time zone, that `moment` falls in."""
    import calendar
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(time_zone)).date()
    last = calendar.monthrange(local.year, local.month)[1]
    return local.replace(day=1), local.replace(day=last)
