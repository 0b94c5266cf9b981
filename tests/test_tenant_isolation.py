"""Invariant 5: a member of another Account can neither read, change, nor confirm the existence
of this Account's objects (404, nothing changes); a viewer can change nothing (403).

The URL lists are checked against the URL configuration, so a new operator URL that is not
listed here fails `test_every_operator_url_is_classified`.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from distribution.models import (
    Assignment,
    DeliveryImport,
    DistributionProfile,
    DistributionTransaction,
    Lead,
    LeadReturn,
    ReturnPolicy,
)
from entities import team
from entities.models import (
    Account,
    AccountEvent,
    ApiKey,
    Entity,
    Invitation,
    Membership,
    SmtpSettings,
)
from entities.services import archive
from invoicing.banking.sepa import create_transfer
from invoicing.banking.statements import import_statement
from invoicing.billing import add_credit, finalize_invoice
from invoicing.models import (
    BankEntry,
    BankStatement,
    BillingRun,
    CreditTransfer,
    Dispatch,
    Invoice,
    InvoiceDocument,
    InvoiceEvent,
    InvoiceLine,
    Payment,
    TransferredPayout,
)
from invoicing.payments import mark_paid
from invoicing.returns import submit_returns
from partners.changes import request_changes
from partners.models import ChangeRequest, Partner, PartnerUser, SelfBillingAgreement
from webhooks.models import Delivery, Endpoint

from .bank_files import Booking, camt053
from .factories import (
    deliver,
    make_assignment,
    make_draft,
    make_entity,
    make_final,
    make_partner,
    make_payout,
    make_profile,
    make_user,
)

PARTNER_FORM = {
    "name": "Changed",
    "kind": "company",
    "legal_name": "Changed GmbH",
    "street": "Weg 1",
    "postcode": "10115",
    "city": "Berlin",
    "country": "DE",
    "vat_id": "",
    "email": "x@changed.test",
    "payment_terms_days": 30,
    "terms": "30",
    "line_items": "assignment",
    "currency": "",
    "is_active": "on",
}

# URL name -> (method, the object it takes, POST data)
OBJECT_URLS = {
    "invoicing:detail": ("get", "draft", None),
    "invoicing:add_credit": (
        "post",
        "draft",
        {"description": "x", "leads": 1, "unit_price": "1.00"},
    ),
    "invoicing:remove_credit": ("post", "credit", {}),
    "invoicing:update_notes": ("post", "draft", {"notes": "changed"}),
    "invoicing:delete": ("post", "draft", {}),
    "invoicing:finalize": ("post", "draft", {}),
    "invoicing:pdf": ("get", "final", None),
    "invoicing:draft_pdf": ("get", "draft", None),
    "invoicing:xml": ("get", "final", None),
    "invoicing:mark_paid": ("post", "final", {"paid_on": "2030-01-01"}),
    "invoicing:mark_unpaid": ("post", "paid", {}),
    "invoicing:record_payment": ("post", "final", {"amount": "1.00", "paid_on": "2030-01-01"}),
    "invoicing:set_off": ("post", "final", {"amount": "1.00", "paid_on": "2030-01-01"}),
    "invoicing:void": ("post", "final", {"reason": "wrong partner"}),
    "invoicing:reduce_price": ("post", "final", {"reason": "discount", "percent": "5"}),
    "invoicing:events": ("get", "final", None),
    "invoicing:lead_list": ("get", "listed_leads", None),
    "invoicing:exchange_rate": ("post", "draft", {"rate": "1.1", "day": "2026-10-30"}),
    "invoicing:allowance": ("post", "draft", {"reason": "Volume", "percent": "5"}),
    "invoicing:send": ("post", "final", {}),
    "invoicing:render_documents": ("post", "final", {}),
    "invoicing:run_status": ("get", "run", None),
    "distribution:import_status": ("get", "delivery_import", None),
    "invoicing:transfer_file": ("get", "transfer", None),
    "invoicing:withdraw_transfer": ("post", "transfer", {}),
    "invoicing:bank_entry": ("get", "bank_entry", None),
    "invoicing:assign_entry": ("post", "bank_entry", {"numbers": "RE-2026-0001"}),
    "invoicing:ignore_entry": ("post", "bank_entry", {"note": "fees"}),
    "webhooks:detail": ("get", "webhook", None),
    "webhooks:edit": (
        "post",
        "webhook",
        {"url": "https://example.com/x", "events": "invoice.paid"},
    ),
    "webhooks:delete": ("post", "webhook", {}),
    "webhooks:test": ("post", "webhook", {}),
    "webhooks:resend": ("post", "webhook_delivery", {}),
    "partners:invite": ("post", "partner", {"email": "new@partner.test"}),
    "partners:toggle_portal_user": ("post", "portal_user", {}),
    "invoicing:cancel_delivery": ("post", "transaction", {"reason": "rejected"}),
    "partners:detail": ("get", "partner", None),
    "partners:edit": ("post", "partner", PARTNER_FORM),
    "partners:check_vat_id": ("post", "partner", {}),
    "partners:approve_change": ("post", "change_request", {}),
    "partners:reject_change": ("post", "change_request", {"note": "no"}),
    "distribution:profile_detail": ("get", "profile", None),
    "distribution:profile_edit": (
        "post",
        "profile",
        {"name": "Changed", "base_price": "99.00", "currency": "EUR"},
    ),
    "distribution:assignment_create": (
        "post",
        "profile",
        {"name": "New", "partner": "PARTNER", "price_override": "", "is_active": "on"},
    ),
    "distribution:assignment_edit": (
        "post",
        "assignment",
        {"name": "Changed", "partner": "PARTNER", "price_override": "1.00", "is_active": "on"},
    ),
    "distribution:profile_returns": ("post", "profile", {"window_days": "1", "reasons": "x"}),
    "distribution:assignment_returns": (
        "post",
        "assignment",
        {"window_days": "1", "reasons": "x"},
    ),
    "entities:revoke_api_key": ("post", "api_key", {}),
    "entities:change_role": ("post", "membership", {"role": "owner"}),
    "entities:remove_member": ("post", "membership", {"confirmed": "1"}),
    "entities:revoke_invitation": ("post", "invitation", {}),
    "entities:archive_entity": ("post", "second_entity", {"confirmed": "1"}),
    "entities:restore_entity": ("post", "archived_entity", {}),
    "invoicing:add_payout_line": (
        "post",
        "payout",
        {"description": "Bonus", "quantity": 1, "unit_price": "1.00"},
    ),
    "partners:record_agreement": (
        "post",
        "supplier",
        {"terms_version": "1", "accepted_at": "2026-10-01T10:00", "accepted_by": "x"},
    ),
}

# Objects of the Account rather than of one Entity: every Entity of the Account reaches them.
ACCOUNT_OBJECTS = {"entities:change_role", "entities:remove_member", "entities:revoke_invitation",
                   "entities:archive_entity", "entities:restore_entity"}  # fmt: skip

# Writes that take no object id: a viewer gets 403 on each.
OTHER_WRITES = {
    "invoicing:generate": {"start": "2026-10-01", "end": "2026-10-31"},
    "partners:create": PARTNER_FORM,
    "distribution:profile_create": {"name": "New", "base_price": "1.00", "currency": "EUR"},
    "distribution:import_deliveries": {},
    "entities:settings": {"legal_name": "Changed"},
    "entities:create_api_key": {"name": "new key"},
    "entities:smtp": {
        "host": "mail.example.com",
        "port": 587,
        "security": "starttls",
        "from_email": "x@example.com",
    },
    "entities:smtp_test": {},
    "entities:access_point": {"base_url": "https://api.e-invoice.be", "api_key": "k"},
    "entities:invite_member": {"email": "new@acme.test", "role": "owner"},
    "entities:entities": {
        "name": "New",
        "legal_name": "New GmbH",
        "street": "Weg 1",
        "postcode": "10115",
        "city": "Berlin",
        "country": "DE",
        "default_currency": "EUR",
        "time_zone": "Europe/Berlin",
    },
    "entities:require_two_factor": {"require": "1"},
    "partners:check_own_vat_id": {},
    "invoicing:send_period": {"start": "2026-10-01", "end": "2026-10-31"},
    "invoicing:selected": {"action": "finalize"},
    "invoicing:start_run": {"start": "2026-10-01", "end": "2026-10-31", "mode": "drafts"},
    "invoicing:template": {"template": "<p>{{ invoice.number }}</p>"},
    "returns:decide": {"action": "accept"},
    "invoicing:create_transfer": {"execution_date": "2030-01-01"},
    "invoicing:upload_statement": {},
    "webhooks:create": {"url": "https://example.com/hooks", "events": "invoice.paid"},
}

# Pages without an object id that only read (or, like switching Entity or language, change
# only the user's own session or login), and URLs outside the operator UI.
READS = {
    "home",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
    "password_reset_confirm",  # a signed token for one login, no tenant's object
    "entities:switch_entity",
    "entities:set_language",
    "invoicing:index",
    "invoicing:preview",
    "invoicing:readiness",
    "invoicing:accounting_export",
    "invoicing:export",
    "invoicing:oss_return",
    "partners:list",
    "distribution:logs",
    "distribution:profiles",
    "returns:queue",
    "invoicing:payouts",
    "invoicing:statements",
    "invoicing:bank_entries",  # a statement of another tenant's is 404 (tested below)
    "webhooks:endpoints",
    "invoicing:template_preview",  # renders a sample invoice, stores nothing
    "entities:team",
    # The user's own login: its second factor and password.
    "entities:security",
    "entities:security_setup",
    "entities:security_confirm",
    "entities:recovery_codes",
    "entities:two_factor_off",
    "entities:log_out_session",
    "entities:password_change",
    "two_factor_verify",
    # Before a tenant exists, or with a token for one person: sign-up and invitations.
    "signup",
    "verify_email",
    "resend_verification",
    "accept_invitation",
}
# The access point's webhook is signed per Account, not a page (test_peppol_sending.py).
NOT_OPERATOR_UI = ("admin:", "api:", "portal:", "peppol_webhook")


def operator_url_names(resolver=None, prefix="") -> dict[str, str]:
    """Every named URL of the operator UI, with its route."""
    names = {}
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names.update(operator_url_names(entry, namespace))
        elif isinstance(entry, URLPattern) and entry.name:
            names[prefix + entry.name] = str(entry.pattern)
    return {n: r for n, r in names.items() if not n.startswith(NOT_OPERATOR_UI)}


def test_every_operator_url_is_classified():
    names = operator_url_names()
    with_ids = {name for name, route in names.items() if "<int:" in route}
    assert with_ids == set(OBJECT_URLS)
    assert set(names) - with_ids == READS | set(OTHER_WRITES)


@pytest.fixture
def world(entity):
    """One of each object of the Entity, as its URLs take them."""
    partner = make_partner(entity)
    draft = make_draft(entity, partner, leads=3)
    credit = add_credit(draft, "Disputed", 1, Decimal("1.00"))
    final = make_final(entity, leads=2)
    listed = make_final(entity, make_partner(entity, line_items=Partner.PER_LEAD), leads=2)
    paid = make_final(entity, leads=1)
    mark_paid(paid, paid.issue_date)
    profile = make_profile(entity)
    [unbilled] = deliver(make_assignment(profile, partner), 1)
    ReturnPolicy.objects.create(profile=profile)
    [lead_return] = submit_returns(
        partner, [unbilled.lead.external_id], "Duplicate", "", "partner portal: x"
    ).returns
    api_key, _ = ApiKey.issue(entity, "integration")
    portal_user = PartnerUser.objects.create(partner=partner, email="buyer@partner.test")
    payout = make_payout(entity)
    paid_out = finalize_invoice(make_payout(entity))
    transfer = create_transfer(entity, [paid_out], paid_out.due_date, "finance")
    statement = import_statement(
        entity, "camt.xml", camt053(entity.iban, [Booking("9.99", text="?")]), "finance"
    )
    webhook = Endpoint.objects.create(entity=entity, url="https://example.com/h", events=[])
    delivery_import = DeliveryImport.objects.create(
        entity=entity, filename="x.csv", content=b"", uploaded_by="owner@acme.test"
    )
    change = request_changes(partner, {"country": "US"}, "partner portal: buyer@partner.test")
    member = make_user(entity.account, Membership.FINANCE, email="member@acme.test")
    invitation, _token = team.invite(entity.account, "invited@acme.test", "finance", member)
    # Named to sort after the world's Entity, which stays the clients' current one.
    second = make_entity(entity.account, name="Zeta AT", country="AT", vat_id="ATU13585627")
    archived = make_entity(entity.account, name="Zeta FR", country="FR", vat_id="")
    archive(archived, None)
    return {
        "membership": [Membership.objects.get(user=member).pk],
        "invitation": [invitation.pk],
        "second_entity": [second.pk],
        "archived_entity": [archived.pk],
        "change_request": [change.pk],
        "draft": [draft.pk],
        "credit": [draft.pk, credit.pk],
        "final": [final.pk],
        "listed_leads": [listed.pk],
        "paid": [paid.pk],
        "transaction": [unbilled.pk],
        "partner": [partner.pk],
        "profile": [profile.pk],
        "assignment": [unbilled.assignment_id],
        "api_key": [api_key.pk],
        "portal_user": [portal_user.pk],
        "payout": [payout.pk],
        "supplier": [payout.partner_id],
        "run": [
            BillingRun.objects.create(
                entity=entity,
                period_start=date(2026, 9, 1),
                period_end=date(2026, 9, 30),
                mode="drafts",
            ).pk
        ],
        "partner_pk": partner.pk,
        "lead_return": lead_return.pk,
        "transfer": [transfer.pk],
        "bank_entry": [statement.entries.get().pk],
        "webhook": [webhook.pk],
        "delivery_import": [delivery_import.pk],
        "webhook_delivery": [Delivery.objects.create(endpoint=webhook, event="x", payload={}).pk],
        "statement": statement.pk,
    }


def snapshot() -> dict:
    """Everything a request could change, as plain values."""
    tables = [
        Entity,
        Partner,
        DistributionProfile,
        Assignment,
        DistributionTransaction,
        Invoice,
        InvoiceLine,
        ApiKey,
        Payment,
        InvoiceEvent,
        Dispatch,
        PartnerUser,
        SmtpSettings,
        BillingRun,
        Lead,
        SelfBillingAgreement,
        ChangeRequest,
        Account,
        Membership,
        Invitation,
        AccountEvent,
        LeadReturn,
        ReturnPolicy,
        CreditTransfer,
        TransferredPayout,
        BankStatement,
        BankEntry,
        Endpoint,
        Delivery,
    ]
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in tables}
    state["InvoiceDocument"] = list(
        InvoiceDocument.objects.order_by("pk").values("pk", "invoice_id", "sha256")
    )
    return state


def request(client, name, world, data_partner=None):
    method, kind, data = OBJECT_URLS[name]
    url = reverse(name, args=world[kind])
    if data:
        data = {k: (data_partner if v == "PARTNER" else v) for k, v in data.items()}
    return client.get(url) if method == "get" else client.post(url, data or {})


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_another_account_gets_404_and_changes_nothing(outsider_client, outsider, world, name):
    before = snapshot()
    response = request(outsider_client, name, world, world["partner_pk"])
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("name", sorted(set(OBJECT_URLS) - ACCOUNT_OBJECTS))
def test_another_entity_of_the_same_account_gets_404(owner_client, entity, world, name):
    """The current Entity scopes everything: a sister Entity's object is not found either."""
    sister = make_entity(entity.account, name="Sister", legal_name="Sister GmbH")
    owner_client.post(reverse("entities:switch_entity"), {"entity": sister.pk})
    before = snapshot()
    response = request(owner_client, name, world, world["partner_pk"])
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    "name", sorted(n for n, (method, _, _) in OBJECT_URLS.items() if method == "post")
)
def test_a_viewer_gets_403_on_every_object_write(viewer_client, world, name):
    before = snapshot()
    response = request(viewer_client, name, world, world["partner_pk"])
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", sorted(OTHER_WRITES))
def test_a_viewer_gets_403_on_every_other_write(viewer_client, world, name):
    before = snapshot()
    response = viewer_client.post(reverse(name), OTHER_WRITES[name])
    assert response.status_code == 403
    assert snapshot() == before


# Pages a viewer does not read: a SEPA file lists every supplier's IBAN, ready for the bank.
FINANCE_READS = {"invoicing:transfer_file"}


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n, (method, _, _) in OBJECT_URLS.items() if method == "get" and n not in FINANCE_READS
    ),
)
def test_a_viewer_can_read_every_object_page(viewer_client, world, name):
    assert request(viewer_client, name, world).status_code == 200


@pytest.mark.parametrize("name", sorted(FINANCE_READS))
def test_a_viewer_gets_403_on_the_finance_pages(viewer_client, world, name):
    assert request(viewer_client, name, world).status_code == 403


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_another_account_cannot_decide_this_accounts_returns(outsider_client, world, action):
    before = snapshot()
    data = {"action": action, "note": "no", "returns": [world["lead_return"]]}
    outsider_client.get(reverse("returns:decide"), data)
    outsider_client.post(reverse("returns:decide"), data)
    assert snapshot() == before


def test_another_account_does_not_see_this_accounts_returns(outsider_client, world):
    response = outsider_client.get(reverse("returns:queue"), {"status": ""})
    assert response.context["page"].paginator.count == 0


def test_another_account_does_not_see_this_accounts_bank_entries(outsider_client, world):
    page = outsider_client.get(reverse("invoicing:bank_entries"), {"status": "all"})
    assert page.context["entries"].paginator.count == 0
    assert (
        outsider_client.get(reverse("invoicing:statements")).context["statements"].paginator.count
        == 0
    )
    response = outsider_client.get(
        reverse("invoicing:bank_entries"), {"statement": world["statement"]}
    )
    assert response.status_code == 404


def test_another_account_does_not_see_this_accounts_webhooks(outsider_client, world):
    page = outsider_client.get(reverse("webhooks:endpoints"))
    assert list(page.context["endpoints"]) == []
