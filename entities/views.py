from axes.utils import reset as reset_login_failures
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import mail
from .decorators import entity_required, role_required
from .forms import AccessPointForm, ApiKeyForm, EntityForm, SmtpForm
from .models import AccessPointSettings, ApiKey, Entity, Membership, SmtpSettings
from .security import client_ip, may_send_reset_mail
from .services import CURRENT_ENTITY_SESSION_KEY, entities_of
from .settings_warnings import settings_warnings
from .signals import self_billing_terms_changed
from .site import site_url
from .tasks import send_password_reset_task


@require_POST
@login_required
def switch_entity(request):
    """Make another Entity of the user's Accounts the current one. Object pages belong to one
    Entity, so the switch always lands on the invoices page."""
    wanted = request.POST.get("entity", "")
    if wanted.isdigit() and int(wanted) in {e.pk for e in entities_of(request.user)}:
        request.session[CURRENT_ENTITY_SESSION_KEY] = int(wanted)
    return redirect("invoicing:index")


@require_POST
@login_required
def set_language(request):
    """Save the language the user reads the pages in, and go back to the page."""
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES) or language == "":
        request.user.language = language
        request.user.save(update_fields=["language"])
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("home")
    return redirect(back)


def _render_settings(
    request,
    form=None,
    key_form=None,
    new_secret=None,
    smtp_form=None,
    access_point_form=None,
    status=200,
):
    is_owner = request.membership.role == Membership.OWNER
    account = request.entity.account
    form = form or EntityForm(instance=request.entity)
    smtp = SmtpSettings.objects.filter(account=account).first()
    smtp_form = smtp_form or SmtpForm(instance=smtp)
    access_point = AccessPointSettings.objects.filter(account=account).first()
    access_point_form = access_point_form or AccessPointForm(instance=access_point)
    if not is_owner:
        forms = (form, smtp_form, access_point_form)
        for field in [field for each in forms for field in each.fields.values()]:
            field.disabled = True
    return render(
        request,
        "entities/settings.html",
        {
            "form": form,
            "key_form": key_form or ApiKeyForm(),
            "api_keys": ApiKey.objects.filter(entity=request.entity).order_by(
                "revoked_at", "-created_at"
            ),
            "new_secret": new_secret,
            "smtp_form": smtp_form,
            "smtp": smtp,
            "access_point_form": access_point_form,
            "access_point": access_point,
            "webhook_url": access_point
            and site_url() + reverse("peppol_webhook", args=[access_point.webhook_token]),
            "warnings": settings_warnings(request.entity),
        },
        status=status,
    )


@entity_required
def settings_page(request):
    """The current Entity's seller details and API keys; only an owner changes them."""
    if request.method != "POST":
        return _render_settings(request)
    if request.membership.role != Membership.OWNER:
        raise PermissionDenied(_("Only an owner of this account can change its settings."))
    form = EntityForm(request.POST, instance=request.entity)
    if not form.is_valid():
        return _render_settings(request, form=form, status=400)
    entity = form.save()
    if "self_billing_terms_version" in form.changed_data:
        self_billing_terms_changed.send(Entity, entity=entity)
    messages.success(request, _("Settings saved. Finalized invoices keep the details they had."))
    return redirect("entities:settings")


@require_POST
@role_required("owner")
def create_api_key(request):
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, key_form=form, status=400)
    key, secret = ApiKey.issue(request.entity, form.cleaned_data["name"])
    messages.success(
        request,
        _("API key “{name}” created. Copy it now: it is shown only once.").format(name=key.name),
    )
    return _render_settings(request, new_secret=secret)


@require_POST
@role_required("owner")
def revoke_api_key(request, pk):
    key = get_object_or_404(ApiKey, pk=pk, revoked_at__isnull=True)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    messages.success(
        request, _("API key “{name}” revoked; requests with it now get 401.").format(name=key.name)
    )
    return redirect("entities:settings")


@require_POST
@role_required("owner")
def smtp_settings(request):
    """The Account's mail server, shared by its Entities."""
    account = request.entity.account
    instance = SmtpSettings.objects.filter(account=account).first() or SmtpSettings(account=account)
    form = SmtpForm(request.POST, instance=instance)
    if not form.is_valid():
        return _render_settings(request, smtp_form=form, status=400)
    form.save()
    messages.success(
        request, _("Mail server saved. Send a test email to check it."), extra_tags="mail"
    )
    return redirect(reverse("entities:settings") + "#mail")


@require_POST
@role_required("owner")
def access_point_settings(request):
    """The Account's Peppol access point, shared by its Entities."""
    account = request.entity.account
    instance = AccessPointSettings.objects.filter(account=account).first() or AccessPointSettings(
        account=account
    )
    form = AccessPointForm(request.POST, instance=instance)
    if not form.is_valid():
        return _render_settings(request, access_point_form=form, status=400)
    form.save()
    messages.success(
        request,
        _("Access point saved. Give it the webhook address below for delivery news."),
        extra_tags="peppol",
    )
    return redirect(reverse("entities:settings") + "#access-point")


@require_POST
@role_required("owner")
def smtp_test(request):
    """Send a test email to the current user, now, and show what the server answered."""
    message = EmailMessage(
        subject="Leadflip: test email",
        body=_("Your mail server settings work: this message reached you through them."),
        to=[request.user.email],
    )
    try:
        sent = mail.send(request.entity.account, message, timeout=settings.SMTP_TEST_TIMEOUT)
    except mail.MailNotConfigured as error:
        messages.error(request, str(error), extra_tags="mail")
    except (mail.TemporaryMailError, mail.PermanentMailError) as error:
        messages.error(
            request, _("The test email failed: {error}").format(error=error), extra_tags="mail"
        )
    else:
        messages.success(
            request,
            _("Test email sent to {email}. Server: {answer}").format(
                email=request.user.email, answer=sent.answer
            ),
            extra_tags="mail",
        )
    return redirect(reverse("entities:settings") + "#mail")


# Password reset for operators (the partner portal has its own)


def password_reset(request):
    """Ask for a password-reset link. The page answers the same for any address, at once:
    the mail is sent by a task, at most once per address in PASSWORD_RESET_MAIL_INTERVAL."""
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        if may_send_reset_mail(email, client_ip(request)):
            send_password_reset_task.delay(email)
        return redirect("password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and a new password also lifts a lockout of the login."""

    def form_valid(self, form):
        reset_login_failures(username=form.user.email.lower())
        return super().form_valid(form)
