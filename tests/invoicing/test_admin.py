from django.test import Client
from django_scopes import scope

from entities.models import User

from ..factories import make_final


def staff_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("staff@leadflip.test", "pw-staff-123"))
    return client


def test_the_admin_shows_an_invoice_read_only(entity):
    invoice = make_final(entity)
    client = staff_client()
    with scope():  # as in production: the admin runs outside any tenant's scope
        page = client.get(f"/admin/invoicing/invoice/{invoice.pk}/change/")
    assert page.status_code == 200
    assert invoice.number in page.content.decode()
    assert 'name="_save"' not in page.content.decode()


def test_the_admin_refuses_to_change_or_delete_an_invoice(entity):
    invoice = make_final(entity)
    client = staff_client()
    change = client.post(f"/admin/invoicing/invoice/{invoice.pk}/change/", {"notes": "x"})
    delete = client.post(f"/admin/invoicing/invoice/{invoice.pk}/delete/", {"post": "yes"})
    assert (change.status_code, delete.status_code) == (403, 403)
    invoice.refresh_from_db()
    assert invoice.notes == ""


def test_the_admin_lists_invoices(entity):
    invoice = make_final(entity)
    client = staff_client()
    with scope():
        page = client.get("/admin/invoicing/invoice/")
    assert page.status_code == 200
    assert invoice.number in page.content.decode()
