"""Number formats per Entity and kind of document: own patterns, own gap-free sequences,
optional yearly restart; changing a format never renumbers what exists."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from invoicing.models import Invoice
from invoicing.numbering import take_next_number

from ..factories import make_final


def test_each_kind_of_document_has_its_own_sequence(entity):
    numbers = [
        take_next_number(entity, kind, date(2026, 11, 2))
        for kind in ("invoice", "credit_note", "self_billed", "self_billed_credit_note")
    ]
    assert numbers == ["RE-2026-00001", "CN-2026-00001", "AFF-000001", "AFF-CN-000001"]


def test_numbers_that_restart_yearly_count_from_one_each_year(entity):
    entity.invoice_number_format = "RE-{YYYY}-{seq:04}"
    entity.invoice_numbers_reset_yearly = True
    entity.save()
    take_next_number(entity, "invoice", date(2026, 12, 30))
    assert take_next_number(entity, "invoice", date(2026, 12, 31)) == "RE-2026-0002"
    assert take_next_number(entity, "invoice", date(2027, 1, 2)) == "RE-2027-0001"


def test_numbers_that_never_restart_keep_counting_across_years(entity):
    take_next_number(entity, "invoice", date(2026, 12, 31))
    assert take_next_number(entity, "invoice", date(2027, 1, 2)) == "RE-2027-00002"


def test_changing_the_format_never_renumbers_issued_invoices(entity):
    first = make_final(entity)
    entity.invoice_number_format = "INV-{seq:06}"
    entity.save()
    second = make_final(entity)
    assert Invoice.objects.get(pk=first.pk).number == first.number
    assert second.number == "INV-000002"


def test_a_yearly_restart_needs_the_year_in_the_number(entity):
    entity.self_billed_numbers_reset_yearly = True  # "AFF-{seq:06}" has no year
    with pytest.raises(ValidationError, match="restart every year need the year"):
        entity.full_clean()


def test_two_kinds_cannot_share_a_pattern(entity):
    entity.self_billed_number_format = entity.invoice_number_format
    with pytest.raises(ValidationError, match="need a pattern of their own"):
        entity.full_clean()


def test_the_settings_page_saves_the_number_formats(owner_client, entity):
    from django.urls import reverse

    from ..entities.test_settings_page import settings_form

    response = owner_client.post(
        reverse("entities:settings"),
        settings_form(
            entity,
            self_billed_number_format="GS-{YYYY}-{seq:04}",
            self_billed_numbers_reset_yearly="on",
        ),
    )
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.numbering("self_billed") == ("GS-{YYYY}-{seq:04}", True)
