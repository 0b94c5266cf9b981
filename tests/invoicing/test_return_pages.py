"""Lead returns on the screen (issue 20): the operator's queue and decisions, the return
policy form, the partner portal's returns page, the API, the emails and the rates."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from distribution.models import DistributionTransaction, LeadReturn, ReturnPolicy
from entities.models import ApiKey
from invoicing.returns import submit_returns

from ..factories import (
    deliver,
    make_assignment,
    make_partner,
    make_profile,
    make_return_policy,
    make_supplier,
)
from ..portal.test_portal import make_portal_user, portal_client


@pytest.fixture
def assignment(entity, partner):
    return make_assignment(make_profile(entity, "10.00", name="Solar DE"), partner, name="North")


@pytest.fixture
def policy(assignment):
    return make_return_policy(assignment.profile, window_days=7, cap_count=5)


def delivered(assignment, count=1):
    return deliver(assignment, count, at=timezone.now() - timedelta(hours=2))


def waiting(partner, deliveries, reason="Duplicate"):
    ids = [d.lead.external_id for d in deliveries]
    return submit_returns(partner, ids, reason, "", "partner portal: x").returns


# The operator's queue


def test_the_queue_lists_the_returns_waiting_for_a_decision(
    finance_client, partner, assignment, policy
):
    txns = delivered(assignment, 2)
    waiting(partner, txns)
    page = finance_client.get(reverse("returns:queue")).content.decode()
    assert txns[0].lead.external_id in page and "2 returns wait for a decision." in page


def test_the_queue_filters_by_partner_and_lead(finance_client, entity, partner, assignment, policy):
    other = make_partner(entity)
    make_assignment(assignment.profile, other)
    mine = delivered(assignment)
    theirs = delivered(other.assignments.get())
    waiting(partner, mine)
    waiting(other, theirs)
    response = finance_client.get(reverse("returns:queue"), {"partner": other.pk})
    assert [r.partner for r in response.context["page"]] == [other]
    response = finance_client.get(reverse("returns:queue"), {"q": mine[0].lead.external_id})
    assert [r.partner for r in response.context["page"]] == [partner]


def test_the_queue_says_when_nothing_waits(finance_client):
    assert (
        "No return waits for a decision."
        in finance_client.get(reverse("returns:queue")).content.decode()
    )


def test_accepting_asks_first_and_names_the_leads(finance_client, partner, assignment, policy):
    txns = delivered(assignment, 2)
    returns = waiting(partner, txns)
    response = finance_client.get(
        reverse("returns:decide"), {"action": "accept", "returns": [r.pk for r in returns]}
    )
    page = response.content.decode()
    assert "Accept 2 returns?" in page and txns[1].lead.external_id in page
    assert LeadReturn.objects.filter(status=LeadReturn.PENDING).count() == 2


def test_accepting_in_bulk_cancels_the_deliveries(finance_client, partner, assignment, policy):
    txns = delivered(assignment, 3)
    returns = waiting(partner, txns)
    response = finance_client.post(
        reverse("returns:decide"), {"action": "accept", "returns": [r.pk for r in returns]}
    )
    assert response.status_code == 302
    statuses = set(DistributionTransaction.objects.values_list("status", "cancel_reason"))
    assert statuses == {
        (DistributionTransaction.CANCELLED, DistributionTransaction.REASON_RETURNED)
    }


def test_a_rejection_without_a_note_is_refused(finance_client, partner, assignment, policy):
    returns = waiting(partner, delivered(assignment))
    response = finance_client.post(
        reverse("returns:decide"), {"action": "reject", "returns": [returns[0].pk]}, follow=True
    )
    assert "Say why the returns are rejected" in response.content.decode()
    assert LeadReturn.objects.get().status == LeadReturn.PENDING


def test_a_rejection_with_a_note_is_recorded(finance_client, finance, partner, assignment, policy):
    returns = waiting(partner, delivered(assignment))
    finance_client.post(
        reverse("returns:decide"),
        {"action": "reject", "note": "The number answers.", "returns": [returns[0].pk]},
    )
    decided = LeadReturn.objects.get()
    assert (decided.status, decided.decision_note, decided.decided_by) == (
        LeadReturn.REJECTED,
        "The number answers.",
        finance.email,
    )


def test_a_viewer_cannot_decide(viewer_client, partner, assignment, policy):
    returns = waiting(partner, delivered(assignment))
    response = viewer_client.post(
        reverse("returns:decide"), {"action": "accept", "returns": [returns[0].pk]}
    )
    assert response.status_code == 403
    assert LeadReturn.objects.get().status == LeadReturn.PENDING


def test_the_partner_hears_of_the_decision_by_email_in_its_language(
    smtp, finance_client, entity, assignment, policy, django_capture_on_commit_callbacks
):
    partner = assignment.partner
    partner.language = "de"
    partner.save()
    returns = waiting(partner, delivered(assignment, 2))
    with_note = {"action": "reject", "note": "Nummer erreichbar.", "returns": [returns[0].pk]}
    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(reverse("returns:decide"), with_note)
        accepting = {"action": "accept", "returns": [returns[1].pk]}
        finance_client.post(reverse("returns:decide"), accepting)
    first, second = smtp.inbox.messages
    assert first["To"] == partner.email
    assert "0 angenommen, 1 abgelehnt" in first["Subject"]
    assert "Nummer erreichbar." in first.get_content()
    assert "1 angenommen, 0 abgelehnt" in second["Subject"]


# The return policy form


def test_a_profile_gets_a_return_policy(finance_client, assignment):
    profile = assignment.profile
    response = finance_client.post(
        reverse("distribution:profile_returns", args=[profile.pk]),
        {"window_days": "14", "cap_percent": "5", "reasons": "Duplicate\nWrong number",
         "auto_approve_reasons": "Duplicate", "pass_back": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    policy = ReturnPolicy.objects.get(profile=profile)
    assert (policy.window_days, policy.reason_list, policy.pass_back) == (
        14,
        ["Duplicate", "Wrong number"],
        True,
    )


def test_an_automatic_reason_must_be_one_of_the_reasons(finance_client, assignment):
    response = finance_client.post(
        reverse("distribution:profile_returns", args=[assignment.profile.pk]),
        {"window_days": "7", "reasons": "Duplicate", "auto_approve_reasons": "Anything"},
    )
    assert response.status_code == 400
    assert "is not one of the reasons above" in response.content.decode()


def test_an_assignments_policy_starts_as_a_copy_of_its_profiles(finance_client, assignment, policy):
    response = finance_client.get(reverse("distribution:assignment_returns", args=[assignment.pk]))
    assert response.context["form"].initial["cap_count"] == 5
    assert "follows its profile's return policy" in response.content.decode()


def test_a_policy_is_removed(finance_client, assignment, policy):
    finance_client.post(
        reverse("distribution:profile_returns", args=[assignment.profile.pk]), {"remove": "1"}
    )
    assert not ReturnPolicy.objects.exists()


def test_the_profile_page_shows_its_policy(finance_client, assignment, policy):
    page = finance_client.get(
        reverse("distribution:profile_detail", args=[assignment.profile.pk])
    ).content.decode()
    assert "7 days after delivery" in page and "5 returns" in page


# The partner portal


@pytest.fixture
def buyer(partner):
    return make_portal_user(partner)


def test_a_partner_returns_leads_by_pasting_their_ids(buyer, partner, assignment, policy):
    txns = delivered(assignment, 2)
    response = portal_client(buyer).post(
        reverse("portal:returns"),
        {"leads": "\n".join(t.lead.external_id for t in txns), "reason": "Duplicate"},
        follow=True,
    )
    assert "2 leads returned" in response.content.decode()
    assert LeadReturn.objects.filter(partner=partner).count() == 2
    assert LeadReturn.objects.first().submitted_by == f"partner portal: {buyer.email}"


def test_a_partner_returns_leads_from_a_csv_file(buyer, partner, assignment, policy):
    txns = delivered(assignment, 2)
    csv = "lead,delivered at\n" + "".join(f"{t.lead.external_id},2026-12-01\n" for t in txns)
    upload = SimpleUploadedFile("leads.csv", csv.encode(), content_type="text/csv")
    portal_client(buyer).post(reverse("portal:returns"), {"file": upload, "reason": "Duplicate"})
    assert LeadReturn.objects.filter(partner=partner).count() == 2


def test_ticked_leads_fill_in_the_return_form(buyer, partner, assignment, policy):
    txns = delivered(assignment, 2)
    ids = [t.lead.external_id for t in txns]
    response = portal_client(buyer).get(reverse("portal:returns"), {"leads": ids})
    assert response.context["form"].initial["leads"] == "\n".join(ids)


def test_the_portal_shows_the_window_and_the_returns_left(buyer, partner, assignment, policy):
    waiting(partner, delivered(assignment, 2))
    page = portal_client(buyer).get(reverse("portal:returns")).content.decode()
    assert "7 days after delivery" in page and "3 of 5" in page


def test_the_portal_says_why_a_lead_was_not_returned(buyer, partner, assignment, policy):
    response = portal_client(buyer).post(
        reverse("portal:returns"), {"leads": "NOT-MINE", "reason": "Duplicate"}, follow=True
    )
    assert "NOT-MINE: No lead with this id was delivered to you." in response.content.decode()


def test_a_partner_without_a_policy_is_told_it_cannot_return(buyer, partner, assignment):
    page = portal_client(buyer).get(reverse("portal:returns")).content.decode()
    assert "cannot be returned here" in page


def test_a_partner_sees_only_its_own_returns(buyer, entity, partner, assignment, policy):
    other = make_partner(entity)
    make_assignment(assignment.profile, other)
    theirs = waiting(other, delivered(other.assignments.get()))
    page = portal_client(buyer).get(reverse("portal:returns")).content.decode()
    assert theirs[0].delivery.lead.external_id not in page


# The API

API = "/api/v1/returns"


@pytest.fixture
def api_key(entity):
    return ApiKey.issue(entity, "router")[1]


def api_post(body, key):
    return Client().post(API, json.dumps(body), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}")  # fmt: skip


def test_the_api_returns_leads_for_a_partner(api_key, partner, assignment, policy):
    txns = delivered(assignment, 2)
    body = {"partner": partner.pk, "leads": [t.lead.external_id for t in txns] + ["X"],
            "reason": "Duplicate"}  # fmt: skip
    response = api_post(body, api_key)
    assert response.status_code == 201
    answer = response.json()
    assert [r["status"] for r in answer["returns"]] == ["pending", "pending"]
    assert answer["refused"] == {"X": "No lead with this id was delivered to you."}
    assert LeadReturn.objects.first().submitted_by.startswith("API key 'router'")


def test_the_api_answers_409_when_nothing_could_be_returned(api_key, partner, assignment, policy):
    response = api_post({"partner": partner.pk, "leads": ["X"], "reason": "Duplicate"}, api_key)
    assert response.status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"leads": ["L"], "reason": "Duplicate"}, "partner"),
        ({"partner": "abc", "leads": ["L"], "reason": "Duplicate"}, "partner"),
        ({"partner": 999999, "leads": ["L"], "reason": "Duplicate"}, "partner"),
        ({"partner": "{partner}", "leads": [], "reason": "Duplicate"}, "leads"),
        ({"partner": "{partner}", "leads": "L-1", "reason": "Duplicate"}, "leads"),
        ({"partner": "{partner}", "leads": [{"id": 1}], "reason": "Duplicate"}, "leads"),
        ({"partner": "{partner}", "leads": ["L"] * 1001, "reason": "Duplicate"}, "leads"),
        ({"partner": "{partner}", "leads": ["L"]}, "reason"),
        ({"partner": "{partner}", "leads": ["L"], "reason": 5}, "reason"),
        (
            {"partner": "{partner}", "leads": ["L"], "reason": "x", "evidence": "e" * 2001},
            "evidence",
        ),
        ({"partner": "{partner}", "leads": ["L"], "reason": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_to_the_returns_api_is_a_400(api_key, partner, body, field):
    body = {k: partner.pk if v == "{partner}" else v for k, v in body.items()}
    response = api_post(body, api_key)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not LeadReturn.objects.exists()


def test_the_api_cannot_return_for_another_entitys_partner(api_key, other_entity, policy):
    stranger = make_partner(other_entity)
    response = api_post({"partner": stranger.pk, "leads": ["L"], "reason": "Duplicate"}, api_key)
    assert response.status_code == 400


# Rates on the partner pages


def test_the_partner_page_shows_its_return_rate(finance_client, partner, assignment, policy):
    txns = delivered(assignment, 4)
    from invoicing.returns import decide_returns

    decide_returns(waiting(partner, txns[:1]), True, "", "finance")
    waiting(partner, txns[1:2])
    page = finance_client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "1 of 4 delivered" in page and "(25.0 %)" in page and "1 waiting" in page


def test_the_supplier_page_shows_how_many_of_its_leads_came_back(
    finance_client, entity, partner, assignment, policy
):
    from distribution.services import record_lead_source
    from invoicing.returns import decide_returns

    policy.pass_back = True
    policy.save()
    supplier = make_supplier(entity)
    txns = delivered(assignment, 2)
    for txn in txns:
        record_lead_source(entity, txn.lead.external_id, supplier, 4, txn.delivered_at)
    decide_returns(waiting(partner, txns[:1]), True, "", "finance")
    page = finance_client.get(reverse("partners:detail", args=[supplier.pk])).content.decode()
    assert "1 of 2 supplied" in page and "1 passed back" in page


def test_the_api_refuses_a_reason_no_policy_of_the_partner_offers(
    api_key, partner, assignment, policy
):
    txns = delivered(assignment)
    body = {"partner": partner.pk, "leads": [txns[0].lead.external_id], "reason": "Bored"}
    response = api_post(body, api_key)
    assert response.status_code == 400
    assert response.json()["errors"]["reason"][0].startswith("Choose one of: Duplicate,")


# Decisions meeting each other


def test_a_return_decided_by_someone_else_meanwhile_is_left_out(
    finance_client, partner, assignment, policy
):
    from invoicing.returns import decide_returns

    returns = waiting(partner, delivered(assignment, 2))
    decide_returns(returns[:1], False, "Works.", "another operator")
    response = finance_client.post(
        reverse("returns:decide"),
        {"action": "accept", "returns": [r.pk for r in returns]},
        follow=True,
    )
    assert "1 of the ticked returns was decided already." in response.content.decode()
    assert LeadReturn.objects.get(pk=returns[0].pk).status == LeadReturn.REJECTED
    assert LeadReturn.objects.get(pk=returns[1].pk).status == LeadReturn.APPROVED


def test_a_lead_waiting_for_a_return_decision_is_not_cancelled_by_hand(
    finance_client, partner, assignment, policy
):
    txns = delivered(assignment)
    waiting(partner, txns)
    response = finance_client.post(
        reverse("invoicing:cancel_delivery", args=[txns[0].pk]), {"reason": "rejected"}, follow=True
    )
    assert "accept or reject the return in Returns" in response.content.decode()
    txns[0].refresh_from_db()
    assert txns[0].status == DistributionTransaction.DELIVERED
