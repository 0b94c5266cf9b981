"""Dates outside 2000–2100 are refused by every form, with a message, and never reach the
period arithmetic that broke on them (9999-12-31 gave 500s and a run stuck in running)."""

from datetime import date

import pytest
from django.urls import reverse

from invoicing import runs
from invoicing.models import BillingRun, Invoice

from .factories import deliver, make_assignment, make_profile
from .portal.test_portal import make_portal_user, portal_client

FAR = {"start": "9999-12-01", "end": "9999-12-31"}
MESSAGE = "Give a date from 2000-01-01 to 2100-12-31."


@pytest.mark.parametrize("page", ["invoicing:preview", "distribution:logs"])
def test_operator_pages_refuse_a_period_outside_the_range(owner_client, page):
    response = owner_client.get(reverse(page), FAR)
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()


def test_the_invoice_list_ignores_a_filter_outside_the_range(owner_client):
    assert owner_client.get(reverse("invoicing:index"), FAR).status_code == 200


@pytest.mark.parametrize("action", ["invoicing:generate", "invoicing:start_run",
                                    "invoicing:send_period"])  # fmt: skip
def test_period_actions_refuse_a_period_outside_the_range(finance_client, entity, action):
    response = finance_client.post(reverse(action), {**FAR, "mode": "drafts"}, follow=True)
    assert response.status_code == 200
    assert not Invoice.objects.exists() and not BillingRun.objects.exists()


def test_the_portal_refuses_a_period_outside_the_range(entity, partner):
    deliver(make_assignment(make_profile(entity), partner))
    client = portal_client(make_portal_user(partner))
    response = client.get(reverse("portal:leads"), FAR)
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert client.get(reverse("portal:leads_csv"), FAR).status_code == 200


def test_a_billing_run_that_fails_is_marked_failed_with_its_reason(entity):
    run = BillingRun.objects.create(
        entity=entity, period_start=date(9999, 12, 1), period_end=date(9999, 12, 31), mode="drafts"
    )
    runs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == BillingRun.FAILED
    assert "unexpected error" in run.errors["run"]
    assert runs.progress(run)["errors"] == [run.errors["run"]]


def test_a_date_field_shows_its_date_in_every_language():
    from datetime import date

    from django import forms
    from django.utils import translation

    from entities.dates import DateField

    class PeriodForm(forms.Form):
        start = DateField()

    for language in ("en", "de", "fr"):
        with translation.override(language):
            html = str(PeriodForm(initial={"start": date(2026, 11, 1)})["start"])
        assert 'value="2026-11-01"' in html, language
