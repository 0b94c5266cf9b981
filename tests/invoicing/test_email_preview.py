"""Before an invoice is emailed, the operator reads the email that will go out; a partner's
accounts department can get copies."""

from django.urls import reverse

from ..factories import make_final, make_partner
from ..partners.test_partner_views import FORM
from .test_sending import body_of


def test_the_send_page_shows_the_email_before_it_goes(owner_client, entity, partner):
    invoice = make_final(entity, partner)
    page = owner_client.get(reverse("invoicing:send", args=[invoice.pk])).content.decode()
    assert f"<dt>To</dt><dd>{partner.email}</dd>" in page
    assert f"{invoice.number}.pdf" in page
    assert "Please pay" in page  # the text, filled in


def test_the_preview_sends_nothing(smtp, owner_client, entity, partner):
    invoice = make_final(entity, partner)
    owner_client.get(reverse("invoicing:send", args=[invoice.pk]))
    assert smtp.inbox.messages == [] and not invoice.dispatches.exists()


def test_copies_go_to_the_partners_further_addresses(smtp, entity, send):
    partner = make_partner(entity, cc_emails="ap@partner.test, cfo@partner.test")
    send(make_final(entity, partner))
    [message] = smtp.inbox.messages
    assert message["Cc"] == "ap@partner.test, cfo@partner.test"
    assert "Please pay" in body_of(message)


def test_the_preview_names_the_copies(owner_client, entity):
    partner = make_partner(entity, cc_emails="ap@partner.test")
    invoice = make_final(entity, partner)
    page = owner_client.get(reverse("invoicing:send", args=[invoice.pk])).content.decode()
    assert "<dt>Copies to</dt><dd>ap@partner.test</dd>" in page


def test_copies_are_checked_and_stored_one_way(finance_client, entity):
    data = {**FORM, "cc_emails": "ap@solar.test; cfo@solar.test ap@solar.test"}
    finance_client.post(reverse("partners:create"), data)
    assert entity.partners.get(name=FORM["name"]).cc_emails == "ap@solar.test, cfo@solar.test"


def test_a_copy_address_that_is_not_one_is_refused(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), {**FORM, "cc_emails": "ap@"})
    assert response.status_code == 400
    assert "ap@ is not an email address." in response.context["form"].errors["cc_emails"]
