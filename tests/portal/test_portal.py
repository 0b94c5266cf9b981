"""The partner portal: its own login, invitations, password reset, and a partner's own data."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from distribution.models import DistributionTransaction
from invoicing.models import InvoiceEvent
from partners.models import Partner, PartnerUser
from partners.portal_access import invite

from ..factories import deliver, make_assignment, make_draft, make_final, make_partner, make_profile

PASSWORD = "portal-pass-2026!"


def make_portal_user(partner, email=None) -> PartnerUser:
    user = PartnerUser(partner=partner, email=email or f"buyer{partner.pk}@partner.test")
    user.set_password(PASSWORD)
    user.save()
    return user


def portal_client(user) -> Client:
    client = Client()
    response = client.post(reverse("portal:login"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def buyer(partner):
    return make_portal_user(partner)


def test_a_partner_logs_in_and_sees_its_dashboard(buyer, entity, partner):
    deliver(make_assignment(make_profile(entity), partner), 3)
    response = portal_client(buyer).get(reverse("portal:dashboard"))
    assert response.context["leads_this_month"] == 3


def test_a_wrong_password_is_refused(buyer):
    response = Client().post(reverse("portal:login"), {"email": buyer.email, "password": "x"})
    assert response.status_code == 400
    assert "do not match" in response.content.decode()


def test_logins_are_throttled_after_repeated_failures(buyer, settings):
    client = Client()
    for _ in range(settings.PORTAL_LOGIN_ATTEMPTS):
        client.post(reverse("portal:login"), {"email": buyer.email, "password": "wrong"})
    response = client.post(reverse("portal:login"), {"email": buyer.email, "password": PASSWORD})
    assert "Too many failed attempts" in response.content.decode()
    assert response.status_code == 400


def test_a_portal_login_never_grants_operator_access(buyer):
    client = portal_client(buyer)
    response = client.get(reverse("invoicing:index"))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_an_operator_session_never_grants_portal_access(owner_client):
    response = owner_client.get(reverse("portal:invoices"))
    assert response.status_code == 302 and response.url.startswith("/partner/login/")


def test_a_disabled_login_ends_its_sessions(buyer):
    client = portal_client(buyer)
    PartnerUser.objects.filter(pk=buyer.pk).update(is_active=False)
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_a_password_change_ends_other_sessions(buyer):
    client = portal_client(buyer)
    buyer.set_password("another-pass-2026!")
    buyer.save()
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_the_partner_sees_only_its_own_finalized_invoices(buyer, entity, partner):
    mine = make_final(entity, partner)
    make_draft(entity, partner)
    make_final(entity, make_partner(entity))
    response = portal_client(buyer).get(reverse("portal:invoices"))
    assert [i.number for i in response.context["page"]] == [mine.number]


def test_the_partner_downloads_its_pdf_and_it_is_recorded(buyer, entity, partner):
    invoice = make_final(entity, partner)
    response = portal_client(buyer).get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert response.content == bytes(invoice.documents.get(kind="pdf").content)
    event = invoice.events.get(kind=InvoiceEvent.DOWNLOADED)
    assert event.actor == f"partner portal: {buyer.email}"


def test_the_leads_can_be_searched_and_downloaded_as_csv(buyer, entity, partner):
    [first, second] = deliver(make_assignment(make_profile(entity), partner), 2)
    client = portal_client(buyer)
    response = client.get(reverse("portal:leads"), {"q": first.lead.external_id})
    assert [t.pk for t in response.context["page"]] == [first.pk]
    csv_text = b"".join(client.get(reverse("portal:leads_csv")).streaming_content).decode()
    assert first.lead.external_id in csv_text and second.lead.external_id in csv_text


def test_an_approved_profile_change_reruns_the_checks_and_the_vat_id_check(
    buyer, partner, vies, django_capture_on_commit_callbacks
):
    from partners.changes import approve_changes, pending_request

    vies.answers["ATU13585627"] = "valid"
    data = {"legal_name": "Neu GmbH", "street": "Ring 1", "postcode": "1010", "city": "Wien",
            "country": "AT", "vat_id": "ATU13585627", "email": "ap@neu.test"}  # fmt: skip
    portal_client(buyer).post(reverse("portal:profile"), data)
    with django_capture_on_commit_callbacks(execute=True):
        approve_changes(pending_request(partner), "owner@acme.test")
    partner.refresh_from_db()
    assert (partner.legal_name, partner.vies_status) == ("Neu GmbH", Partner.VIES_VALID)


def test_a_bad_vat_id_in_the_profile_is_refused(buyer, partner):
    data = {"legal_name": "X", "street": "Y", "postcode": "1", "city": "Z", "country": "AT",
            "vat_id": "DE136695976", "email": ""}  # fmt: skip
    response = portal_client(buyer).post(reverse("portal:profile"), data)
    assert response.status_code == 400
    partner.refresh_from_db()
    assert partner.legal_name != "X"


def set_password_link(message) -> str:
    return re.search(r"http://\S+/partner/set-password/\S+/", message.get_content()).group(0)


def test_an_invitation_link_sets_the_password_once(smtp, partner):
    user = invite(partner, "Buyer@Partner.test")
    link = set_password_link(smtp.inbox.messages[0])
    assert user.email == "buyer@partner.test"
    client = Client()
    path = link.split("8000", 1)[1] if "8000" in link else link
    response = client.post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 200
    again = Client().post(path, {"password1": "other-pass-1!", "password2": "other-pass-1!"})
    assert again.status_code == 400 and "no longer works" in again.content.decode()


def test_the_operator_invites_from_the_partner_page(smtp, owner_client, partner):
    owner_client.post(reverse("partners:invite", args=[partner.pk]), {"email": "ap@partner.test"})
    assert PartnerUser.objects.get().invited_at is not None
    assert smtp.inbox.messages[0]["To"] == "ap@partner.test"


def test_inviting_needs_a_mail_server(owner_client, partner):
    response = owner_client.post(
        reverse("partners:invite", args=[partner.pk]), {"email": "ap@partner.test"}, follow=True
    )
    assert "mail server" in response.content.decode()
    assert not PartnerUser.objects.exists()


def test_a_password_reset_sends_a_link_only_to_known_logins(smtp, buyer):
    for email in [buyer.email, "nobody@nowhere.test"]:
        response = Client().post(reverse("portal:reset"), {"email": email})
        assert "If this address has a portal login" in response.content.decode()
    assert [m["To"] for m in smtp.inbox.messages] == [buyer.email]


def test_an_expired_link_is_refused(smtp, partner, settings):
    invite(partner, "late@partner.test")
    link = set_password_link(smtp.inbox.messages[0])
    settings.PASSWORD_RESET_TIMEOUT = -1
    path = link.split("8000", 1)[1]
    assert Client().get(path).status_code == 400


# Isolation: every portal URL that takes an id, for another partner's objects.

PORTAL_OBJECT_URLS = ["portal:invoice_pdf", "portal:invoice_xml"]


@pytest.mark.parametrize("name", PORTAL_OBJECT_URLS)
def test_another_partners_documents_are_not_found(buyer, entity, name):
    other = make_final(entity, make_partner(entity))
    assert portal_client(buyer).get(reverse(name, args=[other.pk])).status_code == 404


@pytest.mark.parametrize("name", PORTAL_OBJECT_URLS)
def test_a_draft_is_not_found_in_the_portal(buyer, entity, partner, name):
    draft = make_draft(entity, partner)
    assert portal_client(buyer).get(reverse(name, args=[draft.pk])).status_code == 404


def test_every_portal_page_needs_a_portal_login(client):
    for name in ["portal:dashboard", "portal:leads", "portal:leads_csv", "portal:invoices",
                 "portal:profile", "portal:returns"]:  # fmt: skip
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith("/partner/login/"), name


def test_another_partners_leads_never_show(buyer, entity):
    [other] = deliver(make_assignment(make_profile(entity), make_partner(entity)), 1)
    client = portal_client(buyer)
    assert client.get(reverse("portal:leads")).context["page"].paginator.count == 0
    csv_text = b"".join(client.get(reverse("portal:leads_csv")).streaming_content).decode()
    assert other.lead.external_id not in csv_text
    assert DistributionTransaction.objects.count() == 1


PUBLIC = {"portal:login", "portal:logout", "portal:reset", "portal:set_password"}
PAGES = {
    "portal:dashboard",
    "portal:leads",
    "portal:leads_csv",
    "portal:invoices",
    "portal:profile",
    "portal:returns",
}
POST_ONLY = {"portal:accept_terms"}


def test_every_portal_url_is_covered_here():
    from django.urls import get_resolver

    [portal] = [p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "portal"]
    names = {f"portal:{p.name}" for p in portal.url_patterns}
    assert names == PUBLIC | PAGES | POST_ONLY | set(PORTAL_OBJECT_URLS)


def test_every_portal_action_needs_a_portal_login(client):
    for name in POST_ONLY | {"portal:returns"}:
        response = client.post(reverse(name), {"accept": "yes"})
        assert response.status_code == 302 and response.url.startswith("/partner/login/"), name


def test_an_open_credit_note_counts_in_the_partners_favour(buyer, entity, partner):
    from invoicing.corrections import void_invoice
    from invoicing.payments import mark_paid

    invoice = make_final(entity, partner, leads=1, price="100.00")
    mark_paid(invoice, invoice.issue_date)
    make_final(entity, partner, leads=2, price="100.00")  # 238.00 open
    void_invoice(invoice, "Wrong partner")  # 119.00 paid: to refund
    [balance] = portal_client(buyer).get(reverse("portal:dashboard")).context["balances"]
    assert balance["open"] == 119


def test_voiding_an_unpaid_invoice_leaves_nothing_in_the_partners_favour(buyer, entity, partner):
    from invoicing.corrections import void_invoice

    invoice = make_final(entity, partner, leads=1, price="100.00")
    make_final(entity, partner, leads=2, price="100.00")  # 238.00 open
    void_invoice(invoice, "Wrong partner")
    [balance] = portal_client(buyer).get(reverse("portal:dashboard")).context["balances"]
    assert balance["open"] == 238
