from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from entities.decorators import entity_required, role_required
from partners.models import Partner

from . import batch, tasks
from .forms import AssignmentForm, DeliveryImportForm, LogFilterForm, ProfileForm, ReturnPolicyForm
from .invoice_labels import invoice_labels
from .models import (
    Assignment,
    DeliveryImport,
    DistributionProfile,
    DistributionTransaction,
    ReturnPolicy,
)
from .returns import policy_for

LOG_PAGE_SIZE = 100
IMPORTS_SHOWN = 3


@entity_required
def logs(request):
    """Every delivery of the current Entity, newest first, with filters."""
    transactions = DistributionTransaction.objects.select_related(
        "partner", "lead", "assignment__profile"
    ).order_by("-delivered_at", "-pk")
    filters = LogFilterForm(request.GET, entity=request.entity)
    if filters.is_valid():
        data = filters.cleaned_data
        tz = ZoneInfo(request.entity.time_zone)
        if data["q"].strip():
            transactions = transactions.filter(lead__external_id__icontains=data["q"].strip())
        if data["partner"]:
            transactions = transactions.filter(partner=data["partner"])
        if data["profile"]:
            transactions = transactions.filter(assignment__profile=data["profile"])
        if data["status"]:
            transactions = transactions.filter(status=data["status"])
        if data["start"]:
            transactions = transactions.filter(
                delivered_at__gte=datetime.combine(data["start"], time.min, tz)
            )
        if data["end"]:
            transactions = transactions.filter(
                delivered_at__lt=datetime.combine(data["end"] + timedelta(days=1), time.min, tz)
            )
    page = Paginator(transactions, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = invoice_labels(t.invoice_id for t in page)
    for t in page:
        t.invoice_label = labels.get(t.invoice_id, "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "distribution/logs.html",
        {
            "imports": DeliveryImport.objects.defer("content")[:IMPORTS_SHOWN],
            "import_form": DeliveryImportForm(),
            "import_columns": batch.CSV_COLUMNS,
            "page": page,
            # Page numbers around the current one, None for the gaps between.
            "page_numbers": [
                None if number == page.paginator.ELLIPSIS else number
                for number in page.paginator.get_elided_page_range(page.number)
            ],
            "filters": filters,
            "query": query.urlencode(),
            "reasons": DistributionTransaction.MANUAL_CANCEL_REASONS,
        },
    )


@entity_required
def profiles(request):
    return render(
        request,
        "distribution/profiles.html",
        {
            "profiles": DistributionProfile.objects.annotate(
                assignment_count=Count("assignments")
            ).order_by("name")
        },
    )


@entity_required
def profile_detail(request, pk):
    profile = get_object_or_404(DistributionProfile, pk=pk)
    return render(
        request,
        "distribution/profile_detail.html",
        {
            "profile": profile,
            "assignments": profile.assignments.select_related("partner", "return_policy").order_by(
                "name"
            ),
            "policy": ReturnPolicy.objects.filter(profile=profile).first(),
        },
    )


@role_required("finance")
def profile_create(request):
    form = ProfileForm(
        request.POST or None,
        instance=DistributionProfile(
            entity=request.entity, currency=request.entity.default_currency
        ),
    )
    if request.method == "POST" and form.is_valid():
        profile = form.save()
        messages.success(
            request,
            _("Profile {name} created. Now assign partners to it.").format(name=profile.name),
        )
        return redirect("distribution:profile_detail", profile.pk)
    return _form(request, form, title=_("New profile"))


@role_required("finance")
def profile_edit(request, pk):
    profile = get_object_or_404(DistributionProfile, pk=pk)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Profile saved. Recorded deliveries keep their prices."))
        return redirect("distribution:profile_detail", profile.pk)
    return _form(request, form, title=_("Edit {name}").format(name=profile.name), profile=profile)


@role_required("finance")
def assignment_create(request, pk):
    profile = get_object_or_404(DistributionProfile, pk=pk)
    form = AssignmentForm(
        request.POST or None, instance=Assignment(profile=profile), entity=request.entity
    )
    if request.method == "POST" and form.is_valid():
        assignment = form.save()
        messages.success(
            request,
            _("{partner} assigned to {profile}.").format(
                partner=assignment.partner.name, profile=profile.name
            ),
        )
        return redirect("distribution:profile_detail", profile.pk)
    return _form(
        request,
        form,
        title=_("Assign a partner to {name}").format(name=profile.name),
        profile=profile,
    )


@role_required("finance")
def assignment_edit(request, pk):
    assignment = get_object_or_404(Assignment.objects.select_related("profile"), pk=pk)
    form = AssignmentForm(request.POST or None, instance=assignment, entity=request.entity)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Assignment saved. Recorded deliveries keep their prices."))
        return redirect("distribution:profile_detail", assignment.profile_id)
    return _form(
        request, form, title=_("Edit {name}").format(name=assignment), profile=assignment.profile
    )


@role_required("finance")
def profile_returns(request, pk):
    profile = get_object_or_404(DistributionProfile, pk=pk)
    return _return_policy(request, profile, profile, _("Returns of {name}").format(name=profile))


@role_required("finance")
def assignment_returns(request, pk):
    assignment = get_object_or_404(Assignment.objects.select_related("profile"), pk=pk)
    title = _("Returns of {name}").format(name=assignment)
    return _return_policy(request, assignment, assignment.profile, title)


def _return_policy(request, owner, profile, title):
    """Set, change or remove the return policy of a profile or an assignment."""
    field = "assignment" if isinstance(owner, Assignment) else "profile"
    policy = ReturnPolicy.objects.filter(**{field: owner}).first()
    if request.method == "POST" and request.POST.get("remove"):
        if policy:
            policy.delete()
        messages.success(request, _("Return policy removed."))
        return redirect("distribution:profile_detail", profile.pk)
    buyers = Partner.objects.filter(assignments__profile=profile)
    if field == "assignment":
        buyers = buyers.filter(assignments=owner)
    form = ReturnPolicyForm(
        request.POST or None,
        instance=policy or ReturnPolicy(**{field: owner}),
        partners=buyers.distinct().order_by("name"),
        initial=_initial(owner) if policy is None else None,
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request,
            _("Return policy saved. It applies to returns submitted from now on, and to "
              "the acceptance of those waiting."),
        )  # fmt: skip
        return redirect("distribution:profile_detail", profile.pk)
    return _form(
        request, form, title=title, profile=profile, policy=policy, returns_form=True,
        inherited=field == "assignment" and policy is None and policy_for(owner) is not None,
    )  # fmt: skip


def _initial(owner) -> dict:
    """A new policy: an assignment's starts as a copy of its profile's; else the usual
    reasons, in the operator's language."""
    if not isinstance(owner, Assignment) or (inherited := policy_for(owner)) is None:
        return {"reasons": "\n".join(_(reason) for reason in ReturnPolicy.DEFAULT_REASONS)}
    fields = ReturnPolicyForm.Meta.fields
    initial = {name: getattr(inherited, name) for name in fields if name != "auto_approve_partners"}
    return {**initial, "auto_approve_partners": list(inherited.auto_approve_partners.all())}


def _form(request, form, **context):
    return render(
        request,
        "distribution/form.html",
        {"form": form, **context},
        status=400 if form.errors else 200,
    )


@role_required("finance")
def import_deliveries(request):
    """Upload a CSV of deliveries; it is recorded in the background, its progress shown on
    the Logs page."""
    if request.method != "POST":
        return redirect("distribution:logs")
    form = DeliveryImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for problem in errors:
                messages.error(request, problem)
        return redirect("distribution:logs")
    delivery_import = DeliveryImport.objects.create(
        entity=request.entity,
        filename=form.cleaned_data["file"].name[:200],
        content=form.content,
        lines=form.lines,
        uploaded_by=request.user.email,
    )
    transaction.on_commit(lambda: tasks.import_deliveries.delay(delivery_import.pk))
    messages.success(
        request,
        _("{name}: {count} deliveries are being recorded.").format(
            name=delivery_import.filename, count=delivery_import.lines
        ),
    )
    return redirect("distribution:logs")


@entity_required
def import_status(request, pk):
    """An import's progress as JSON, for its progress bar."""
    return JsonResponse(import_progress(get_object_or_404(DeliveryImport, pk=pk)))


def import_progress(delivery_import: DeliveryImport) -> dict:
    return {
        "status": delivery_import.status,
        "status_label": delivery_import.get_status_display(),
        "percent": delivery_import.percent,
        "done": delivery_import.done,
        "lines": delivery_import.lines,
        "created": delivery_import.created,
        "existing": delivery_import.existing,
        "refused": delivery_import.refused,
    }
