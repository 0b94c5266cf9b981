from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from entities.decorators import entity_required, role_required
from entities.mail import MailNotConfigured, PermanentMailError, TemporaryMailError
from entities.models import COUNTRY_CHOICES

from .changes import ChangeError, approve_changes, pending_request, reject_changes
from .checks import (
    invoicing_details_problems,
    partners_sharing_vat_id,
    refresh_invoicing_problems,
)
from .forms import AgreementForm, InviteForm, PartnerForm, PartnerSearchForm
from .models import ChangeRequest, Partner, PartnerUser, SelfBillingAgreement
from .portal_access import PortalAccessError, invite
from .tasks import queue_vies_check
from .vies import ViesRefused, ViesUnavailable, can_check, check_entity_vat_id


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
        if role := search.cleaned_data["role"]:
            partners = partners.filter(**{f"is_{role}": True})
        if search.cleaned_data["details"] == "incomplete":
            partners = partners.exclude(invoicing_problems=[])
    page = Paginator(partners, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "partners/list.html",
        {"page": page, "search": search, "query": query.urlencode()},
    )


@entity_required
def partner_detail(request, pk, agreement_form=None):
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
            "portal_users": partner.portal_users.order_by("email"),
            "invite_form": InviteForm(initial={"email": partner.email}),
            "agreements": partner.self_billing_agreements.all(),
            "change_request": pending_request(partner),
            "agreement_form": agreement_form
            or AgreementForm(initial={"terms_version": request.entity.self_billing_terms_version}),
        },
        status=400 if agreement_form else 200,
    )


@require_POST
@role_required("finance")
def approve_change(request, pk):
    change = get_object_or_404(ChangeRequest, pk=pk)
    try:
        approve_changes(change, request.user.email)
    except ChangeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Change approved: invoices finalized from now on use it."))
    return redirect("partners:detail", change.partner_id)


@require_POST
@role_required("finance")
def reject_change(request, pk):
    change = get_object_or_404(ChangeRequest, pk=pk)
    try:
        reject_changes(change, request.user.email, request.POST.get("note", ""))
    except ChangeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Change rejected; the partner sees your note in the portal."))
    return redirect("partners:detail", change.partner_id)


@require_POST
@role_required("finance")
def record_agreement(request, pk):
    """Record a supplier's acceptance of the self-billing terms given outside the portal."""
    partner = get_object_or_404(Partner, pk=pk)
    form = AgreementForm(request.POST, instance=SelfBillingAgreement(partner=partner))
    if not partner.is_supplier:
        form.add_error(None, _("Only a lead supplier has a self-billing agreement."))
    if not form.is_valid():
        return partner_detail(request, pk, agreement_form=form)
    form.instance.recorded_by = request.user.email
    form.save()
    refresh_invoicing_problems(partner)
    messages.success(
        request,
        _("Self-billing agreement {version} recorded.").format(version=form.instance.terms_version),
    )
    return redirect("partners:detail", partner.pk)


@role_required("finance")
def partner_create(request):
    form = PartnerForm(request.POST or None, instance=Partner(entity=request.entity))
    if request.method == "POST" and form.is_valid():
        partner = form.save()
        queue_vies_check(partner)
        messages.success(request, _("Partner {name} added.").format(name=partner.name))
        _warn_if_shared_vat_id(request, partner)
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
        messages.success(request, _("Partner saved. Finalized invoices keep the details they had."))
        _warn_if_shared_vat_id(request, partner)
        return redirect("partners:detail", partner.pk)
    return render(
        request,
        "partners/form.html",
        {"form": form, "partner": partner},
        status=400 if form.errors else 200,
    )


def _warn_if_shared_vat_id(request, partner: Partner) -> None:
    if others := partners_sharing_vat_id(partner):
        names = ", ".join(other.name for other in others)
        messages.warning(
            request,
            ngettext(
                "{names} has the same VAT ID {vat_id}: is this partner entered twice?",
                "{names} have the same VAT ID {vat_id}: is this partner entered twice?",
                len(others),
            ).format(names=names, vat_id=partner.vat_id),
        )


@require_POST
@role_required("finance")
def check_vat_id_now(request, pk):
    partner = get_object_or_404(Partner, pk=pk)
    if not (partner.vat_id and can_check(partner.vat_id)):
        messages.error(request, _("VIES checks EU VAT IDs only; this partner has none."))
    else:
        queue_vies_check(partner)
        messages.info(
            request,
            _("VAT ID {vat_id} sent to VIES; the answer shows here.").format(vat_id=partner.vat_id),
        )
    return redirect("partners:detail", partner.pk)


@require_POST
@role_required("finance")
def invite_portal_user(request, pk):
    partner = get_object_or_404(Partner, pk=pk)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the email address to invite."))
        return redirect("partners:detail", partner.pk)
    try:
        user = invite(partner, form.cleaned_data["email"])
    except (PortalAccessError, MailNotConfigured, TemporaryMailError, PermanentMailError) as e:
        messages.error(request, _("No invitation sent: {error}").format(error=e))
    else:
        messages.success(request, _("Invitation sent to {email}.").format(email=user.email))
    return redirect("partners:detail", partner.pk)


@require_POST
@role_required("finance")
def toggle_portal_user(request, pk):
    user = get_object_or_404(PartnerUser, pk=pk)
    user.is_active = not user.is_active
    user.save(update_fields=["is_active"])
    if user.is_active:
        messages.success(request, _("Portal login {email} enabled.").format(email=user.email))
    else:
        messages.success(
            request,
            _("Portal login {email} disabled; its sessions end now.").format(email=user.email),
        )
    return redirect("partners:detail", user.partner_id)


@require_POST
@role_required("owner")
def check_own_vat_id(request):
    """Ask VIES now whether the current Entity's own VAT ID is valid (onboarding)."""
    entity = request.entity
    if not (entity.vat_id and can_check(entity.vat_id)):
        messages.error(request, _("VIES checks EU VAT IDs only; enter yours in Settings first."))
        return redirect("home")
    try:
        valid = check_entity_vat_id(entity)
    except (ViesUnavailable, ViesRefused) as error:
        messages.error(
            request, _("VIES could not answer now ({error}); try again later.").format(error=error)
        )
    else:
        if valid:
            messages.success(request, _("VIES confirms {vat_id}.").format(vat_id=entity.vat_id))
        else:
            messages.error(
                request,
                _("VIES reports {vat_id} as not valid: correct it in Settings.").format(
                    vat_id=entity.vat_id
                ),
            )
    return redirect("home")
