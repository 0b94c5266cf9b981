"""Every CSV the product writes neutralizes text that a spreadsheet would run as a formula."""

import csv
import io

import pytest
from django.urls import reverse

from distribution.services import record_delivery
from entities.csv_export import neutralize
from invoicing.events import events_csv, record_event

from .factories import make_assignment, make_final, make_partner, make_profile
from .portal.test_portal import make_portal_user, portal_client


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_text_cell_that_starts_a_formula_becomes_text(text):
    assert neutralize(text) == "'" + text


def test_numbers_stay_numbers():
    from decimal import Decimal

    assert neutralize(Decimal("-12.50")) == Decimal("-12.50")


def rows(content: bytes | str) -> list[list[str]]:
    text = content.decode() if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text)))


def test_the_invoice_export_neutralizes_a_partner_name(owner_client, entity):
    partner = make_partner(entity, name='=HYPERLINK("http://evil.test","x")')
    make_final(entity, partner)
    response = owner_client.get(reverse("invoicing:export"))
    [row] = rows(response.content)[1:]
    assert row[3] == "'" + partner.name


def test_the_audit_trail_export_neutralizes_details(entity):
    invoice = make_final(entity)
    record_event(invoice, "downloaded", "@evil", "-2+3")
    last = rows(events_csv(invoice))[-1]
    assert last[3:] == ["'@evil", "'-2+3"]


def test_the_portals_lead_export_neutralizes_lead_ids(entity, partner):
    record_delivery(make_assignment(make_profile(entity), partner), "=cmd|' /C calc'!A0")
    client = portal_client(make_portal_user(partner))
    content = b"".join(client.get(reverse("portal:leads_csv")).streaming_content)
    assert "'=cmd|' /C calc'!A0" in [row[0] for row in rows(content)]
