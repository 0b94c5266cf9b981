from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from entities.decorators import entity_required, role_required
from entities.models import COUNTRY_CHOICES

from .checks import invoicing_details_problems
from .forms import PartnerForm, PartnerSearchForm
from .models import Partner
from .tasks import check_vat_id
from .vies import can_check


@entity_required
def partner_list(request):
    partners = Partner.objects.order_by("name")
    used = set(partners.values_list("country", flat=True))
    search = PartnerSearchForm(
        request.GET, countries=[(c, n) for c, n in COUNTRY_CHOICES if c in used]
    )
    if search.is_valid():
        if query := search.cleaned_data["q"].strip():
            partners = partners.filter(
                Q(name__icontains=query)
                | Q(legal_name__icontains=query)
                | Q(vat_id__icontains=query)
                | Q(email__icontains=query)
            )
        if country := search.cleaned_data["country"]:
            partners = partners.filter(country=country)
        if status := search.cleaned_data["status"]:
            partners = partners.filter(is_active=status == "active")
    page = Paginator(partners, 50).get_page(request.GET.get("page"))
    for partner in page:
        partner.problems = invoicing_details_problems(partner)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "partners/list.html",
        {"page": page, "search": search, "query": query.urlencode()},
    )


@entity_required
def partner_detail(request, pk):
    partner = get_object_or_404(Partner, pk=pk)
    return render(
        request,
        "partners/detail.html",
        {
            "partner": partner,
            "problems": invoicing_details_problems(partner),
            "assignments": partner.assignments.select_related("profile").order_by(
                "profile__name", "name"
            ),
        },
    )


@role_required("finance")
def partner_create(request):
    form = PartnerForm(request.POST or None, instance=Partner(entity=request.entity))
    if request.method == "POST" and form.is_valid():
        partner = form.save()
        queue_vies_check(partner)
        messages.success(request, f"Partner {partner.name} added.")
        return redirect("partners:detail", partner.pk)
    return render(request, "partners/form.html", {"form": form}, status=400 if form.errors else 200)


@role_required("finance")
def partner_edit(request, pk):
    partner = get_object_or_404(Partner, pk=pk)
    form = PartnerForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        form.save()
        if "vat_id" in form.changed_data:
            queue_vies_check(partner)
        messages.success(request, "Partner saved. Finalized invoices keep the details they had.")
        return redirect("partners:detail", partner.pk)
    return render(
        request,
        "partners/form.html",
        {"form": form, "partner": partner},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required("finance")
def check_vat_id_now(request, pk):
    partner = get_object_or_404(Partner, pk=pk)
    if not (partner.vat_id and can_check(partner.vat_id)):
        messages.error(request, "VIES checks EU VAT IDs only; this partner has none.")
    else:
        queue_vies_check(partner)
        messages.info(request, f"VAT ID {partner.vat_id} sent to VIES; the answer shows here.")
    return redirect("partners:detail", partner.pk)


def queue_vies_check(partner: Partner) -> None:
    """Check the partner's VAT ID with VIES in the background, once the change is saved."""
    if partner.vat_id and can_check(partner.vat_id):
        transaction.on_commit(lambda: check_vat_id.delay(partner.pk))
