"""Number formats per Entity and kind of document: own patterns, own gap-free sequences,
optional yearly restart; changing a format never renumbers what exists."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from entities.models import Entity
from entities.number_patterns import can_collide, format_document_number, validate_number_pattern
from invoicing.billing import finalize_invoice
from invoicing.models import Invoice, InvoicingError, NumberSequence
from invoicing.numbering import take_next_number

from ..factories import make_draft, make_final


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
    with pytest.raises(ValidationError, match="can produce the same numbers"):
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


# No setting can stop finalizing


@pytest.mark.parametrize(
    "pattern", ["RE-{{seq}}", "{seq.__class__}", "{seq:>100}", "{seq[0]}", "{seq:099}",
                "RE-{seq:5}", "RE-{YYYY}", "RE-{seq}-{seq}", "RE-{seq!r}", "RE-{day}-{seq}",
                "X" * 55 + "{seq}"],
)  # fmt: skip
def test_a_pattern_takes_only_the_documented_tokens(entity, pattern):
    entity.invoice_number_format = pattern
    with pytest.raises(ValidationError):
        entity.full_clean()


@pytest.mark.parametrize(
    "pattern, number",
    [("RE-{YYYY}-{seq:05}", "RE-2026-00042"), ("{YY}{MM}/{seq}", "2611/42"),
     ("INV #{seq:010}", "INV #0000000042"), ("R_{seq:01}.x", "R_42.x")],
)  # fmt: skip
def test_a_valid_pattern_is_filled_with_its_tokens(pattern, number):
    validate_number_pattern(pattern)
    assert format_document_number(pattern, 42, date(2026, 11, 2)) == number


@pytest.mark.parametrize(
    "first, second",
    [("RE-{YYYY}-{seq:005}", "RE-{YYYY}-{seq:05}"), ("{YYYY}-{seq}", "{seq}-{YYYY}"),
     ("RE{YY}{seq:03}", "RE{seq:05}"), ("RE-{seq}", "RE-{MM}{seq}")],
)  # fmt: skip
def test_two_kinds_whose_patterns_can_give_the_same_number_are_refused(entity, first, second):
    entity.invoice_number_format, entity.credit_note_number_format = first, second
    with pytest.raises(ValidationError, match="can produce the same numbers"):
        entity.full_clean()


@pytest.mark.parametrize(
    "first, second",
    [("RE-{YYYY}-{seq:05}", "CN-{YYYY}-{seq:05}"), ("RE1-{seq}", "RE2-{seq}"),
     ("AFF-{seq:06}", "AFF-CN-{seq:06}")],
)  # fmt: skip
def test_patterns_that_never_meet_are_accepted(first, second):
    assert not can_collide(first, second)


def test_switching_the_yearly_restart_on_continues_after_the_issued_numbers(entity):
    issued = [make_final(entity) for _ in range(3)]
    entity.invoice_numbers_reset_yearly = True
    entity.save()
    assert make_final(entity).number == f"RE-{issued[0].issue_date:%Y}-00004"


def test_switching_the_yearly_restart_off_never_repeats_a_number(entity):
    entity.invoice_numbers_reset_yearly = True
    entity.save()
    issued = {make_final(entity).number for _ in range(2)}
    entity.invoice_numbers_reset_yearly = False
    entity.save()
    assert make_final(entity).number not in issued


def test_a_changed_pattern_that_reaches_issued_numbers_skips_them(entity):
    entity.invoice_number_format = "RE-1{seq}"
    entity.save()
    make_final(entity)  # RE-11
    entity.invoice_number_format = "RE-{seq}"
    entity.save()
    NumberSequence.objects.filter(entity=entity, kind="invoice").update(last_number=10)
    assert make_final(entity).number == "RE-12"


def test_a_pattern_that_cannot_be_filled_is_an_error_the_operator_can_read(entity):
    draft = make_draft(entity)
    Entity.objects.filter(pk=entity.pk).update(invoice_number_format="RE-{seq.__class__}")
    with pytest.raises(InvoicingError, match="could not be finalized and nothing was changed"):
        finalize_invoice(draft)
    draft.refresh_from_db()
    assert draft.is_draft and not NumberSequence.objects.filter(last_number__gt=0).exists()


def test_the_settings_page_refuses_a_broken_pattern_with_a_message(owner_client, entity):
    from django.urls import reverse

    from ..entities.test_settings_page import settings_form

    response = owner_client.post(
        reverse("entities:settings"), settings_form(entity, invoice_number_format="RE-{seq:>9}")
    )
    assert response.status_code == 400
    assert "is not a token" in response.content.decode()
    entity.refresh_from_db()
    assert entity.invoice_number_format == "RE-{YYYY}-{seq:05}"


def test_a_history_can_be_issued_on_an_earlier_day(entity):
    invoice = finalize_invoice(make_draft(entity), issued_on=date(2026, 11, 1))
    assert invoice.issue_date == date(2026, 11, 1)


def test_an_invoice_is_never_issued_in_the_future(entity):
    from datetime import timedelta

    from invoicing.billing import local_today

    with pytest.raises(InvoicingError, match="in the future"):
        finalize_invoice(make_draft(entity), issued_on=local_today(entity) + timedelta(days=1))


def test_an_earlier_issue_date_never_comes_before_an_issued_invoice(entity):
    finalize_invoice(make_draft(entity), issued_on=date(2026, 11, 10))
    with pytest.raises(InvoicingError, match="must stay in order"):
        finalize_invoice(make_draft(entity), issued_on=date(2026, 11, 9))
