"""Importing deliveries from a CSV file on the Logs page (issue 23): checked as a whole on
upload, recorded in the background in batches with the same checks and prices as the API,
its progress and refused lines shown."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from distribution import batch
from distribution.models import DeliveryImport, DistributionTransaction

from ..factories import deliver, make_assignment, make_profile


@pytest.fixture
def assignment(entity, partner):
    return make_assignment(make_profile(entity, "10.00"), partner, price_override="12.50")


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload a file; its import runs as the worker would once the upload commits."""

    def post(client, text: str, name="deliveries.csv"):
        file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("distribution:import_deliveries"), {"file": file})
        return client.get(response.url) if response.status_code == 302 else response

    return post


def test_a_file_of_deliveries_is_recorded_at_the_assignments_price(
    finance_client, assignment, upload
):
    lines = "".join(f"{assignment.pk},L-{n}\n" for n in range(3))
    upload(finance_client, "assignment,lead\n" + lines)
    done = DeliveryImport.objects.get()
    assert (done.status, done.lines, done.created, done.refused) == ("done", 3, 3, 0)
    assert set(DistributionTransaction.objects.values_list("price", flat=True)) == {
        Decimal("12.50")
    }


def test_semicolons_times_and_a_byte_order_mark_are_read(finance_client, assignment, upload):
    text = f"\ufeffLead;Assignment;Delivered_at\nL-1;{assignment.pk};2026-10-15T14:30:00+02:00\n"
    upload(finance_client, text)
    delivery = DistributionTransaction.objects.get()
    assert delivery.delivered_at.isoformat() == "2026-10-15T12:30:00+00:00"


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("15.10.2026 14:30", "Use ISO 8601"),
        ("2026-10-15T14:30:00", "Include the UTC offset"),
        ("2099-10-15T14:30:00+02:00", "cannot lie in the future"),
    ],
)
def test_a_lines_time_is_read_by_the_apis_rule(cell, problem):
    item, found = batch.parse_line(["assignment", "lead", "delivered_at"], ["1", "L-1", cell])
    assert item is None and problem in found


def test_refused_lines_are_listed_with_their_numbers(finance_client, assignment, upload):
    text = f"assignment,lead\n{assignment.pk},good\nabc,bad-id\n999999,unknown\n{assignment.pk},\n"
    page = upload(finance_client, text).content.decode()
    done = DeliveryImport.objects.get()
    assert (done.created, done.refused) == (1, 3)
    assert [p["line"] for p in done.problems] == [3, 5, 4]
    assert "Line 3" in page and "as a number" in page


def test_a_lead_delivered_before_is_kept_as_it_was(finance_client, assignment, upload):
    [earlier] = deliver(assignment, 1)
    upload(finance_client, f"assignment,lead\n{assignment.pk},{earlier.lead.external_id}\n")
    assert DeliveryImport.objects.get().existing == 1
    assert DistributionTransaction.objects.count() == 1


def test_a_file_without_the_columns_is_refused_on_upload(finance_client, assignment, upload):
    page = upload(finance_client, "partner,lead\n1,L-1\n").content.decode()
    assert "names the columns" in page
    assert not DeliveryImport.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_on_upload(finance_client):
    file = SimpleUploadedFile("x.csv", "assignment,lead\n1,Müller\n".encode("cp1252"))
    page = finance_client.post(reverse("distribution:import_deliveries"), {"file": file},
                               follow=True).content.decode()  # fmt: skip
    assert "UTF-8" in page


def test_a_viewer_cannot_import(viewer_client, assignment, upload):
    response = upload(viewer_client, f"assignment,lead\n{assignment.pk},L-1\n")
    assert response.status_code == 403
    assert not DistributionTransaction.objects.exists()


def test_the_progress_is_saved_after_each_batch(entity, assignment, monkeypatch):
    monkeypatch.setattr(batch, "MAX_ITEMS", 2)
    content = ("assignment,lead\n" + "".join(f"{assignment.pk},L-{n}\n" for n in range(5))).encode()
    delivery_import = DeliveryImport.objects.create(
        entity=entity, filename="x.csv", content=content, lines=5, uploaded_by="test"
    )
    saved = []
    original = DeliveryImport.save

    def spy(self, *args, **kwargs):
        saved.append(self.done)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DeliveryImport, "save", spy)
    batch.import_file(delivery_import)
    assert saved == [2, 4, 5]


def test_the_logs_page_shows_the_import_and_its_progress(finance_client, assignment, upload):
    upload(finance_client, f"assignment,lead\n{assignment.pk},L-1\n", name="october.csv")
    page = finance_client.get(reverse("distribution:logs")).content.decode()
    assert "october.csv" in page and '<progress max="100" value="100"' in page
    status = finance_client.get(
        reverse("distribution:import_status", args=[DeliveryImport.objects.get().pk])
    ).json()
    assert (status["status"], status["created"]) == ("done", 1)


def test_another_tenants_import_is_not_found(finance_client, other_entity):
    theirs = DeliveryImport.objects.create(entity=other_entity, filename="x.csv", content=b"",
                                           uploaded_by="them")  # fmt: skip
    response = finance_client.get(reverse("distribution:import_status", args=[theirs.pk]))
    assert response.status_code == 404
