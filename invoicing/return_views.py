"""The operator's queue of lead returns: filter, then accept or reject, one by one or in
bulk, after a confirmation."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from distribution.models import LeadReturn
from entities.confirm import confirmation
from entities.decorators import entity_required, role_required

from .models import InvoicingError
from .return_forms import DecisionForm, ReturnFilterForm
from .returns import decide_returns, decided_message

PAGE_SIZE = 100


@entity_required
def queue(request):
    filters = ReturnFilterForm(request.GET or {"status": LeadReturn.PENDING})
    returns = LeadReturn.objects.select_related(
        "partner", "delivery__lead", "delivery__assignment__profile"
    ).order_by("-submitted_at", "-pk")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["status"]:
            returns = returns.filter(status=data["status"])
        if data["partner"]:
            returns = returns.filter(partner=data["partner"])
        if query := data["q"].strip():
            returns = returns.filter(
                Q(delivery__lead__external_id__icontains=query) | Q(reason__icontains=query)
            )
    page = Paginator(returns, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "invoicing/returns.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "waiting": LeadReturn.objects.filter(status=LeadReturn.PENDING).count(),
            "decision": DecisionForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required("finance")
def decide(request):
    """Accept or reject the ticked returns: GET asks, POST decides."""
    form = DecisionForm(request.POST if request.method == "POST" else request.GET)
    back = reverse("returns:queue")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    action, note = form.cleaned_data["action"], form.cleaned_data["note"]
    ticked = form.cleaned_data["returns"]
    returns = list(
        ticked.filter(status=LeadReturn.PENDING).select_related("delivery__lead", "partner")
    )
    if decided_before := len(ticked) - len(returns):
        messages.info(
            request,
            ngettext(
                "{count} of the ticked returns was decided already.",
                "{count} of the ticked returns were decided already.",
                decided_before,
            ).format(count=decided_before),
        )
    if not returns:
        return redirect(back)
    accept = action == DecisionForm.ACCEPT
    count = len(returns)
    if request.method == "GET":
        if accept:
            title = ngettext("Accept {count} return?", "Accept {count} returns?", count)
            message = _(
                "Each lead is cancelled as returned by the partner: not billed, taken off its "
                "draft, or credited on a credit note for its finalized invoice. Where the policy "
                "passes returns back, the supplier's payout is corrected too. This cannot be "
                "undone; the partners are told by email."
            )
            button = ngettext("Accept {count} return", "Accept {count} returns", count)
        else:
            title = ngettext("Reject {count} return?", "Reject {count} returns?", count)
            message = _("The leads stay billed. The partners are told by email, with your note.")
            button = ngettext("Reject {count} return", "Reject {count} returns", count)
        shown = [
            f"{r.delivery.lead.external_id} · {r.partner.name} · {r.reason}" for r in returns[:50]
        ]
        if count > 50:
            shown.append(_("and {count} more").format(count=count - 50))
        return confirmation(
            request,
            title=title.format(count=count),
            message=message + (f" {_('Note')}: {note}" if note else ""),
            consequences=shown,
            button=button.format(count=count),
            back=back,
            fields={"action": action, "note": note, "returns": [str(r.pk) for r in returns]},
        )
    try:
        outcome = decide_returns(returns, accept, note, request.user)
    except InvoicingError as error:
        messages.error(request, str(error))
        return redirect(back)
    if outcome.returns:
        messages.success(request, decided_message(outcome, accept))
    by_id = {r.pk: r for r in returns}
    for pk, why in outcome.refused.items():
        messages.warning(
            request,
            _("Lead {lead} not accepted: {why}").format(
                lead=by_id[pk].delivery.lead.external_id, why=why
            ),
        )
    return redirect(back)
