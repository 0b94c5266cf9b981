import csv
import io
from decimal import Decimal

from django.urls import reverse

from invoicing.corrections import cancel_delivery, void_invoice
from invoicing.payments import mark_paid

from ..factories import make_draft, make_final, make_partner
from .test_corrections import delivered_on


def listed(client, **filters) -> list[str]:
    response = client.get(reverse("invoicing:index"), filters)
    return [str(invoice) for invoice in response.context["page"]]


def test_the_list_filters_by_type(owner_client, entity):
    invoice = make_final(entity, leads=2)
    cancel_delivery(delivered_on(invoice)[0], "rejected")
    assert listed(owner_client, type="credit_note") == [str(invoice.credit_notes.get())]


def test_the_list_filters_by_partner(owner_client, entity):
    alpha = make_partner(entity, name="Alpha")
    make_final(entity, make_partner(entity, name="Beta"))
    invoice = make_final(entity, alpha)
    assert listed(owner_client, partner=alpha.pk) == [invoice.number]


def test_the_list_filters_by_period(owner_client, entity):
    make_final(entity)  # October 2026
    assert listed(owner_client, start="2026-11-01") == []
    assert len(listed(owner_client, start="2026-10-15", end="2026-10-20")) == 1


def test_the_list_filters_void_and_paid(owner_client, entity):
    void = make_final(entity)
    credit_note = void_invoice(void, "Wrong partner")  # settled at once: nothing was paid
    paid = make_final(entity)
    mark_paid(paid, paid.issue_date)
    assert listed(owner_client, status="void") == [void.number]
    assert sorted(listed(owner_client, status="paid")) == [credit_note.number, paid.number]


def test_the_list_searches_by_number(owner_client, entity):
    make_final(entity)
    second = make_final(entity)
    assert listed(owner_client, q="00002") == [second.number]


def test_the_list_totals_the_filtered_set(owner_client, entity):
    make_final(entity, leads=1, price="100.00")  # 119.00
    paid = make_final(entity, leads=1, price="100.00")
    mark_paid(paid, paid.issue_date)
    make_draft(entity, leads=1, price="50.00")  # 59.50, not open: a draft
    [row] = owner_client.get(reverse("invoicing:index")).context["totals"]
    assert (row["count"], row["net_total"], row["open_amount"]) == (3, 297.5, 119)


def test_credit_notes_count_negative_in_the_totals(owner_client, entity):
    invoice = make_final(entity, leads=1, price="100.00")  # 119.00
    mark_paid(invoice, invoice.issue_date)
    void_invoice(invoice, "Wrong partner")  # 119.00 to refund
    [row] = owner_client.get(reverse("invoicing:index")).context["totals"]
    assert (row["count"], row["net_total"], row["open_amount"]) == (2, 0, -119)


def test_the_filtered_list_exports_as_csv(owner_client, entity):
    invoice = make_final(entity)
    make_draft(entity)
    response = owner_client.get(reverse("invoicing:export"), {"status": "open"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["number"] for row in rows] == [invoice.number]
    assert rows[0]["open"] == str(invoice.total)
    assert rows[0]["issue date"] == str(invoice.issue_date)


def test_an_invalid_filter_is_reported(owner_client, entity):
    response = owner_client.get(reverse("invoicing:index"), {"start": "yesterday"})
    assert "Enter a valid date" in response.content.decode()


def test_the_partner_filter_keeps_its_choice_and_escapes_names(owner_client, entity):
    chosen = make_partner(entity, name="Müller & <Söhne>")
    page = owner_client.get(reverse("invoicing:index"), {"partner": chosen.pk}).content.decode()
    assert f'<option value="{chosen.pk}" selected>Müller &amp; &lt;Söhne&gt;</option>' in page


def test_the_totals_count_credit_notes_against_the_invoices(owner_client, entity):
    from invoicing.billing import finalize_invoice

    invoice = make_final(entity, leads=2, price="50.00")  # 119.00 with VAT
    make_final(entity, leads=1, price="100.00")  # 119.00 with VAT
    credit_note = cancel_delivery(delivered_on(invoice)[0], "rejected")  # 59.50 back
    finalize_invoice(credit_note)
    [row] = owner_client.get(reverse("invoicing:index")).context["totals"]
    assert (row["count"], row["net_total"], row["open_amount"]) == (
        3,
        Decimal("178.50"),
        Decimal("178.50"),
    )


def test_the_export_gives_each_row_its_type_and_the_counterpartys_data(owner_client, entity):
    from invoicing.billing import finalize_invoice

    from ..factories import make_payout, make_supplier

    buyer = make_final(entity, make_partner(entity, vat_id="DE129273398"))
    payout = finalize_invoice(make_payout(entity, make_supplier(entity, vat_id="")))
    response = owner_client.get(reverse("invoicing:export"))
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert (rows[buyer.number]["type"], rows[buyer.number]["partner VAT ID"]) == (
        "Invoice",
        "DE129273398",
    )
    # Not the Entity's own VAT ID, which is the buyer's on a self-billed invoice.
    assert (rows[payout.number]["type"], rows[payout.number]["partner VAT ID"]) == (
        "Self-billed invoice",
        "",
    )


def test_the_list_shows_drafts_first_then_the_newest_issued_by_number(owner_client, entity):
    first, second = make_final(entity), make_final(entity)
    draft = make_draft(entity)
    assert listed(owner_client)[:3] == [str(draft), second.number, first.number]


def test_the_list_searches_by_partner_name(owner_client, entity):
    dachprofi = make_final(entity, make_partner(entity, name="Dachprofi Stuttgart"))
    make_final(entity, make_partner(entity, name="Solar Nord"))
    assert listed(owner_client, q="dachprofi") == [dachprofi.number]


def test_the_list_filters_partially_paid_invoices(owner_client, entity):
    from invoicing.payments import record_payment

    partly, _ = make_final(entity), make_final(entity)
    record_payment(partly, Decimal("1.00"), partly.issue_date)
    assert listed(owner_client, status="partially_paid") == [partly.number]


def test_the_list_sorts_by_a_column(owner_client, entity):
    small = make_final(entity, leads=1)
    large = make_final(entity, leads=5)
    assert listed(owner_client, sort="total") == [small.number, large.number]
    assert listed(owner_client, sort="-total") == [large.number, small.number]
