"""The partner portal: a partner's own leads, invoices and details, nothing else.

Every query here is limited to request.partner; the views run inside the partner's Entity
scope as well.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, F, Prefetch, Sum, When
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from distribution.models import DistributionTransaction, LeadReturn
from distribution.returns import allowance, month_of, offered_reasons, policies_for
from distribution.services import hold_of
from entities import csv_export
from entities.security import client_ip, may_send_reset_mail
from invoicing.documents import stored_document
from invoicing.events import record_event
from invoicing.models import Dispatch, Invoice, InvoiceDocument, InvoiceEvent, InvoicingError
from invoicing.return_forms import ReturnRequestForm
from invoicing.returns import submit_returns
from partners.changes import pending_request, request_changes
from partners.checks import (
    agreement_problem,
    invoicing_details_problems,
    refresh_invoicing_problems,
)
from partners.models import ChangeRequest, Partner, PartnerUser, SelfBillingAgreement
from partners.portal_access import portal_tokens
from partners.tasks import send_password_reset_task

from . import auth
from .forms import LeadFilterForm, LoginForm, ProfileForm, ResetRequestForm, SetPasswordForm


def login(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email, ip = form.cleaned_data["email"].lower(), client_ip(request)
        if auth.is_locked_out(email, ip):
            minutes = settings.PORTAL_LOCKOUT_SECONDS // 60
            form.add_error(
                None,
                _("Too many failed attempts. Wait {minutes} minutes, then retry.").format(
                    minutes=minutes
                ),
            )
        else:
            user = (
                PartnerUser.objects.with_scopes_disabled()
                .filter(email=email, is_active=True, partner__is_active=True)
                .first()
            )
            if user is not None and user.check_password(form.cleaned_data["password"]):
                auth.clear_failures(email, ip)
                auth.login(request, user)
                target = request.GET.get("next", "")
                if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                    target = ""
                return redirect(target or "portal:dashboard")
            auth.note_failure(email, ip)
            form.add_error(None, _("This email and password do not match a portal login."))
    return render(request, "portal/login.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def logout(request):
    auth.logout(request)
    return redirect("portal:login")


def reset_request(request):
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same answer, at once, for any address: the mail goes out from a task.
        email = form.cleaned_data["email"].strip().lower()
        if may_send_reset_mail(email, client_ip(request)):
            send_password_reset_task.delay(email)
        return render(request, "portal/reset_sent.html")
    return render(request, "portal/reset.html", {"form": form})


def set_password(request, uidb64, token):
    try:
        user = PartnerUser.objects.with_scopes_disabled().get(
            pk=int(force_str(urlsafe_base64_decode(uidb64))), is_active=True
        )
    except (ValueError, TypeError, PartnerUser.DoesNotExist):
        user = None
    if user is None or not portal_tokens.check_token(user, token):
        return render(request, "portal/link_expired.html", status=400)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user.set_password(form.cleaned_data["password1"])
        user.save(update_fields=["password"])
        auth.login(request, user)
        messages.success(request, _("Your password is set. Welcome to the partner portal."))
        return redirect("portal:dashboard")
    return render(request, "portal/set_password.html", {"form": form, "portal_login": user})


@auth.portal_login_required
def dashboard(request):
    partner = request.partner
    tz = ZoneInfo(partner.entity.time_zone)
    month_start = timezone.now().astimezone(tz).replace(day=1, hour=0, minute=0, second=0)
    leads = _transactions(request).filter(
        status=DistributionTransaction.DELIVERED, delivered_at__gte=month_start
    )
    open_documents = _invoices(request).filter(status=Invoice.FINAL, paid_at__isnull=True)
    # What the partner owes: open invoices, less open credit notes in its favour.
    # Self-billed documents run the other way: the Entity owes them to the partner.
    balance = open_documents.values("self_billed", "currency").annotate(
        open=Sum(
            Case(
                When(kind=Invoice.KIND_CREDIT_NOTE, then=F("amount_paid") - F("total")),
                default=F("total") - F("amount_paid"),
            )
        ),
        count=Count("id"),
    )
    return render(
        request,
        "portal/dashboard.html",
        {
            "leads_this_month": leads.count(),
            "balances": balance,
            "recent": _invoices(request).order_by("-issue_date", "-pk")[:5],
            "problems": invoicing_details_problems(partner),
            "terms_to_accept": _terms_to_accept(partner),
            "hold": hold_of(partner.pk),
        },
    )


def _terms_to_accept(partner) -> bool:
    """A supplier is asked to accept the Entity's self-billing terms, when the Entity has
    written them and the supplier has not accepted their current version."""
    entity = partner.entity
    return bool(partner.is_supplier and entity.self_billing_terms and agreement_problem(partner))


@require_POST
@auth.portal_login_required
def accept_terms(request):
    partner = request.partner
    if not _terms_to_accept(partner):
        messages.info(request, _("There are no self-billing terms waiting for your acceptance."))
        return redirect("portal:dashboard")
    if request.POST.get("accept") != "yes":
        messages.error(request, _("Tick the box to accept the self-billing terms."))
        return redirect("portal:dashboard")
    SelfBillingAgreement.objects.create(
        partner=partner,
        terms_version=partner.entity.self_billing_terms_version or "1",
        accepted_at=timezone.now(),
        accepted_by=request.portal_user.email,
        recorded_by="partner portal",
    )
    refresh_invoicing_problems(partner)
    messages.success(request, _("Thank you: the self-billing terms are accepted."))
    return redirect("portal:dashboard")


def _transactions(request):
    return DistributionTransaction.objects.filter(partner=request.partner)


def _invoices(request):
    """The partner's finalized invoices and credit notes, once their PDF is locked; drafts
    are the operator's."""
    return Invoice.objects.filter(
        partner=request.partner,
        status__in=[Invoice.FINAL, Invoice.VOID],
        documents__kind=InvoiceDocument.PDF,
    )


def _filtered_leads(request):
    form = LeadFilterForm(request.GET)
    leads = _transactions(request).select_related("lead").order_by("-delivered_at", "-pk")
    if form.is_valid():
        tz = ZoneInfo(request.partner.entity.time_zone)
        if query := form.cleaned_data["q"].strip():
            leads = leads.filter(lead__external_id__icontains=query)
        if start := form.cleaned_data["start"]:
            leads = leads.filter(delivered_at__gte=datetime.combine(start, time.min, tz))
        if end := form.cleaned_data["end"]:
            upper = datetime.combine(end + timedelta(days=1), time.min, tz)
            leads = leads.filter(delivered_at__lt=upper)
    return form, leads


@auth.portal_login_required
def leads(request):
    form, rows = _filtered_leads(request)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "portal/leads.html", {"form": form, "page": page, "query": query.urlencode()}
    )


class _Echo:
    def write(self, value):
        return value


@auth.portal_login_required
def leads_csv(request):
    _query, rows = _filtered_leads(request)
    tz = ZoneInfo(request.partner.entity.time_zone)
    writer = csv_export.writer(_Echo())

    def lines():
        yield writer.writerow(["lead", "delivered at", "price", "currency", "status"])
        for txn in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [txn.lead.external_id, txn.delivered_at.astimezone(tz).isoformat(),
                 txn.price, txn.currency, txn.get_status_display()]
            )  # fmt: skip

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="leads.csv"'
    return response


@auth.portal_login_required
def invoices(request):
    today = timezone.now().astimezone(ZoneInfo(request.partner.entity.time_zone)).date()
    # How each reached the partner: the latest dispatch that went out.
    gone_out = Prefetch(
        "dispatches",
        queryset=Dispatch.objects.filter(status__in=Dispatch.GONE_OUT),
        to_attr="gone_out",
    )
    invoices = _invoices(request).prefetch_related(gone_out).order_by("-issue_date", "-pk")
    page = Paginator(invoices, 50).get_page(request.GET.get("page"))
    for invoice in page:
        invoice.state = invoice.payment_status(today)
        invoice.dispatch = invoice.gone_out[0] if invoice.gone_out else None
    return render(request, "portal/invoices.html", {"page": page})


@auth.portal_login_required
def returns(request):
    """The partner's lead returns: its requests and their state, the window and cap left,
    and the form to return leads (ids ticked on the leads page, typed, pasted or a CSV)."""
    partner = request.partner
    rules = return_rules(partner)
    reasons = offered_reasons(rule["policy"] for rule in rules)
    form = ReturnRequestForm(
        request.POST or None,
        request.FILES or None,
        reasons=reasons,
        initial={"leads": "\n".join(request.GET.getlist("leads"))},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = submit_returns(
                partner, data["lead_ids"], data["reason"], data["evidence"],
                f"partner portal: {request.portal_user}",
            )  # fmt: skip
        except InvoicingError as error:
            messages.error(request, str(error))
        else:
            if outcome.returns:
                messages.success(
                    request,
                    ngettext(
                        "{count} lead returned: we will let you know our decision.",
                        "{count} leads returned: we will let you know our decision.",
                        len(outcome.returns),
                    ).format(count=len(outcome.returns)),
                )
            for lead_id, why in list(outcome.refused.items())[:20]:
                messages.warning(request, f"{lead_id}: {why}")
            if len(outcome.refused) > 20:
                messages.warning(
                    request,
                    _("{count} more leads could not be returned.").format(
                        count=len(outcome.refused) - 20
                    ),
                )
            return redirect("portal:returns")
    requests = (
        LeadReturn.objects.filter(partner=partner)
        .select_related("delivery__lead")
        .order_by("-submitted_at", "-pk")
    )
    return render(
        request,
        "portal/returns.html",
        {
            "form": form,
            "rules": rules,
            "page": Paginator(requests, 50).get_page(request.GET.get("page")),
        },
        status=400 if form.errors else 200,
    )


def return_rules(partner) -> list[dict]:
    """Each return policy that governs the partner's assignments: what it allows and, for
    this month and the last (while its leads can still be returned), the returns left."""
    assignments = list(
        partner.assignments.select_related("profile").order_by("profile__name", "name")
    )
    by_policy = {}
    for assignment_id, policy in policies_for(assignments).items():
        by_policy.setdefault(policy.pk, {"policy": policy, "assignments": []})
        by_policy[policy.pk]["assignments"] += [a for a in assignments if a.pk == assignment_id]
    now = timezone.now()
    for rule in by_policy.values():
        policy = rule["policy"]
        months = []
        this_month = month_of(now, partner.entity)
        last_month = month_of(this_month[0] - timedelta(days=1), partner.entity)
        if now - timedelta(days=policy.window_days) < last_month[1]:
            months.append(last_month)
        months.append(this_month)
        rule["months"] = [
            (month[0].date(), allowance(policy, partner.pk, month)) for month in months
        ]
    return list(by_policy.values())


@auth.portal_login_required
def invoice_document(request, pk, kind):
    invoice = get_object_or_404(_invoices(request), pk=pk)
    document = stored_document(invoice, kind)
    if document is None:
        raise Http404(_("This invoice has no such document."))
    record_event(invoice, InvoiceEvent.DOWNLOADED, f"partner portal: {request.portal_user}",
                 document.filename)  # fmt: skip
    response = HttpResponse(bytes(document.content), content_type=document.mimetype)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


@auth.portal_login_required
def profile(request):
    partner = request.partner
    pending = pending_request(partner)
    initial = {**pending.changes} if pending else {}
    form = ProfileForm(request.POST or None, instance=partner, initial=initial)
    if request.method == "POST" and form.is_valid():
        # What decides the tax waits for the operator; the rest is saved now.
        asked = {name: form.cleaned_data[name] for name in ChangeRequest.TAX_FIELDS
                 if name in form.cleaned_data}  # fmt: skip
        with transaction.atomic():
            approved = Partner.objects.filter(pk=partner.pk).values(*asked).get()
            for name, value in approved.items():
                setattr(partner, name, value)
            partner.save()
            refresh_invoicing_problems(partner)
            change = request_changes(partner, asked, f"partner portal: {request.portal_user}")
        if change:
            messages.success(
                request,
                _(
                    "Your details are saved. The changes to your legal name, country, VAT ID or "
                    "tax number wait for our review; your invoices use the current ones until then."
                ),
            )
        else:
            messages.success(
                request, _("Your details are saved. Invoices already issued keep theirs.")
            )
        return redirect("portal:profile")
    return render(
        request,
        "portal/profile.html",
        {"form": form, "problems": invoicing_details_problems(partner), "pending": pending,
         "last_decided": partner.change_requests.exclude(status="pending").first()},
        status=400 if form.errors else 200,
    )  # fmt: skip
