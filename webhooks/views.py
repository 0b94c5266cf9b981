"""Settings → Webhooks: the Entity's endpoints, each with its secret, its delivery log and a
test event. Any member reads them; only an owner changes them or sees a secret."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from entities.confirm import confirmation
from entities.decorators import entity_required, role_required
from entities.models import Membership

from . import events
from .forms import EndpointForm
from .models import Delivery, Endpoint

MAX_ENDPOINTS = 10


@entity_required
def endpoints(request, form=None):
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "endpoints": Endpoint.objects.filter(entity=request.entity),
            "form": form or EndpointForm(initial={"is_active": True}),
        },
        status=400 if form else 200,
    )


@require_POST
@role_required("owner")
def create_endpoint(request):
    form = EndpointForm(request.POST)
    if Endpoint.objects.filter(entity=request.entity).count() >= MAX_ENDPOINTS:
        form.add_error(None, _("At most {count} endpoints per Entity.").format(count=MAX_ENDPOINTS))
    if not form.is_valid():
        return endpoints(request, form)
    endpoint = form.save(commit=False)
    endpoint.entity = request.entity
    endpoint.created_by = request.user.email
    endpoint.save()
    messages.success(request, _("Endpoint added. Check signatures with the secret shown below."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@entity_required
def endpoint_detail(request, pk, form=None):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    deliveries = Paginator(endpoint.deliveries.all(), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "endpoint": endpoint,
            "deliveries": deliveries,
            "form": form or EndpointForm(instance=endpoint),
            "show_secret": request.membership.role == Membership.OWNER,
        },
        status=400 if form else 200,
    )


@require_POST
@role_required("owner")
def edit_endpoint(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    form = EndpointForm(request.POST, instance=endpoint)
    if not form.is_valid():
        return endpoint_detail(request, pk, form)
    form.save()
    messages.success(request, _("Endpoint saved."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@require_http_methods(["GET", "POST"])
@role_required("owner")
def delete_endpoint(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if request.method == "GET":
        return confirmation(
            request,
            title=_("Delete the endpoint {url}?").format(url=endpoint.url),
            message=_("It hears of no more events, and its delivery log is deleted with it."),
            button=_("Delete the endpoint"),
            back=reverse("webhooks:detail", args=[endpoint.pk]),
        )
    endpoint.delete()
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhooks:endpoints")


@require_POST
@role_required("owner")
def test_endpoint(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    with transaction.atomic():
        events.send_test_event(endpoint)
    messages.success(request, _("Test event sent: its outcome is in the log below."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@require_POST
@role_required("owner")
def resend(request, pk):
    delivery = get_object_or_404(Delivery, pk=pk)
    if delivery.status != Delivery.FAILED:
        messages.error(request, _("Only a failed delivery is sent again."))
        return redirect("webhooks:detail", pk=delivery.endpoint_id)
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.PENDING)
        transaction.on_commit(lambda: events.queue_delivery(delivery.pk))
    messages.success(request, _("Sent again: its outcome is in the log below."))
    return redirect("webhooks:detail", pk=delivery.endpoint_id)
