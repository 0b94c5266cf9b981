import logging

from axes.utils import reset as reset_login_failures
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import accounts, login_sessions, mail, team, two_factor
from .confirm import confirmation
from .decorators import entity_required, role_required
from .forms import (
    AccessPointForm,
    ApiKeyForm,
    EntityForm,
    InviteForm,
    NewEntityForm,
    NewMemberForm,
    RoleForm,
    SignUpForm,
    SmtpForm,
)
from .models import (
    AccessPointSettings,
    AccountEvent,
    ApiKey,
    Entity,
    Invitation,
    LoginSession,
    Membership,
    SmtpSettings,
    User,
)
from .security import client_ip, may_send_reset_mail, within_hourly_limit
from .services import (
    CURRENT_ENTITY_SESSION_KEY,
    InvoicingBlocked,
    archive,
    entities_of,
    restore,
)
from .settings_warnings import settings_warnings
from .signals import self_billing_terms_changed
from .site import site_url
from .tasks import send_password_reset_task

logger = logging.getLogger(__name__)


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
    entity = form.save(commit=False)
    if "vat_id" in form.changed_data:
        entity.vies_valid, entity.vies_checked_at = None, None
    entity.settings_saved_at = timezone.now()
    entity.save()
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


# The team and the Entities of the Account


def _render_team(request, invite_form=None, status=200):
    account = request.entity.account
    now = timezone.now()
    invitations = [
        (invitation, invitation.get_status_display(now), invitation.status(now))
        for invitation in Invitation.objects.filter(account=account).select_related("invited_by")[
            :50
        ]
    ]
    return render(
        request,
        "entities/team.html",
        {
            "members": Membership.objects.filter(account=account)
            .select_related("user")
            .order_by("user__email"),
            "invitations": invitations,
            "invite_form": invite_form or InviteForm(),
            "role_choices": Membership.ROLE_CHOICES,
            "events": AccountEvent.objects.filter(account=account)[:50],
            "is_owner": request.membership.role == Membership.OWNER,
        },
        status=status,
    )


@entity_required
def team_page(request):
    """The Account's members and invitations; owners change them."""
    return _render_team(request)


@require_POST
@role_required("owner")
def invite_member(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _render_team(request, invite_form=form, status=400)
    try:
        invitation, token = team.invite(
            request.entity.account, form.cleaned_data["email"], form.cleaned_data["role"],
            request.user,
        )  # fmt: skip
    except team.TeamError as error:
        form.add_error("email", str(error))
        return _render_team(request, invite_form=form, status=400)
    try:
        team.mail_invitation(invitation, token)
    except Exception as error:  # the mail server's trouble must not lose the invitation
        messages.warning(
            request,
            _("The invitation email could not be sent ({error}). Give {email} this link: {link}")
            .format(error=error, email=invitation.email, link=team.invitation_link(token)),
        )  # fmt: skip
    else:
        messages.success(
            request,
            _("Invitation sent to {email}; the link works for {days} days.").format(
                email=invitation.email, days=settings.INVITATION_DAYS
            ),
        )
    return redirect("entities:team")


@require_POST
@role_required("owner")
def revoke_invitation(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk, account=request.entity.account)
    try:
        team.revoke(invitation, request.user)
    except team.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Invitation to {email} revoked.").format(email=invitation.email)
        )
    return redirect("entities:team")


def _member(request, pk) -> Membership:
    """A membership of the current Entity's Account; another Account's is not found."""
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, account=request.entity.account
    )


@require_POST
@role_required("owner")
def change_role(request, pk):
    membership = _member(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("entities:team")
    try:
        team.change_role(membership, form.cleaned_data["role"], request.user)
    except team.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("{email} is now {role}.").format(
                email=membership.user.email,
                role=str(dict(Membership.ROLE_CHOICES)[form.cleaned_data["role"]]).lower(),
            ),
        )
    return redirect("entities:team")


@require_POST
@role_required("owner")
def remove_member(request, pk):
    membership = _member(request, pk)
    if request.POST.get("confirmed") != "1":
        return confirmation(
            request,
            title=_("Remove {email} from the account?").format(email=membership.user.email),
            message=_(
                "They can no longer see or change anything of this account. Their login stays, "
                "for other accounts they belong to."
            ),
            button=_("Remove"),
            back=reverse("entities:team"),
            fields={"confirmed": "1"},
        )
    try:
        team.remove(membership, request.user)
    except team.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("{email} was removed.").format(email=membership.user.email))
    if (
        membership.user_id == request.user.id
        and not Membership.objects.filter(user=request.user).exists()
    ):
        return redirect("home")
    return redirect("entities:team")


def accept_invitation(request, token):
    """The link in an invitation email. A newcomer chooses a password here; someone with a
    login logs in with the invited address first."""
    invitation = team.pending_invitation(token)
    if invitation is None:
        return render(request, "entities/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if not request.user.is_authenticated or request.user.pk != existing.pk:
            login_url = reverse("login") + "?" + urlencode({"next": request.path})
            return render(
                request,
                "entities/invitation.html",
                {"invitation": invitation, "login_url": login_url},
            )
        if request.method == "POST":
            try:
                team.accept(invitation, request.user)
            except team.TeamError:
                return render(request, "entities/invitation_invalid.html", status=404)
            request.session[CURRENT_ENTITY_SESSION_KEY] = (
                invitation.account.entities.order_by("pk").values_list("pk", flat=True).first()
            )
            messages.success(request, _("Welcome to {account}.").format(account=invitation.account))
            return redirect("home")
        return render(request, "entities/invitation.html", {"invitation": invitation})
    form = NewMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    invitation.email,
                    form.cleaned_data["password1"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
                team.accept(invitation, user)
        except (team.TeamError, IntegrityError):  # used up, or accepted twice at once
            return render(request, "entities/invitation_invalid.html", status=404)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to {account}.").format(account=invitation.account))
        return redirect("home")
    return render(
        request,
        "entities/invitation.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )


@entity_required
def entities_page(request):
    """The Account's Entities: add one, archive one that no longer issues invoices."""
    account = request.entity.account
    form = NewEntityForm(request.POST or None, instance=Entity(account=account))
    if request.method == "POST":
        if request.membership.role != Membership.OWNER:
            raise PermissionDenied(_("Only an owner of this account can add Entities."))
        if form.is_valid():
            entity = form.save()
            team.record(account, AccountEvent.ENTITY_ADDED, request.user, entity.legal_name)
            request.session[CURRENT_ENTITY_SESSION_KEY] = entity.pk
            messages.success(
                request,
                _(
                    "{name} added and now the current Entity. Fill in its bank details and "
                    "number formats before its first invoice."
                ).format(name=entity.name),
            )
            return redirect("entities:settings")
    return render(
        request,
        "entities/entities.html",
        {
            "entities": account.entities.order_by("archived_at", "name"),
            "form": form,
            "is_owner": request.membership.role == Membership.OWNER,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@role_required("owner")
def archive_entity(request, pk):
    entity = get_object_or_404(Entity, pk=pk, account=request.entity.account)
    if request.POST.get("confirmed") != "1":
        return confirmation(
            request,
            title=_("Archive {name}?").format(name=entity.name),
            message=_(
                "Its invoices stay readable and downloadable, its partners can still use the "
                "portal, but it issues nothing new: no drafts, no finalizing, no credit "
                "notes, no monthly billing. To correct one of its invoices, restore it first."
            ),
            button=_("Archive"),
            back=reverse("entities:entities"),
            fields={"confirmed": "1"},
        )
    try:
        archive(entity, request.user)
    except InvoicingBlocked as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("{name} archived.").format(name=entity.name))
    return redirect("entities:entities")


@require_POST
@role_required("owner")
def restore_entity(request, pk):
    entity = get_object_or_404(Entity, pk=pk, account=request.entity.account)
    restore(entity, request.user)
    messages.success(
        request, _("{name} restored: it issues invoices again.").format(name=entity.name)
    )
    return redirect("entities:entities")


# Sign-up


def signup(request):
    """A new operator signs up: login, Account, first Entity. It can look around at once;
    its Entity invoices nothing until the email address is confirmed."""
    if not settings.SIGNUP_ENABLED:
        raise Http404
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not within_hourly_limit(f"signup:from:{client_ip(request)}",
                                   settings.SIGNUPS_PER_ADDRESS):  # fmt: skip
            form.add_error(None, _("Too many sign-ups from your address; try again in an hour."))
        else:
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    account, entity, user, _new = accounts.create_account(
                        data["email"], data["company"], data["country"],
                        password=data["password1"], verified=False,
                    )  # fmt: skip
            except IntegrityError:  # the same address signed up twice at once
                return redirect("login")
            user.language = translation.get_language() or ""
            user.save(update_fields=["language"])
            _mail_verification(request, account, user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[CURRENT_ENTITY_SESSION_KEY] = entity.pk
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form},
                  status=400 if form.errors else 200)  # fmt: skip


def _mail_verification(request, account, user) -> None:
    try:
        accounts.mail_verification(account, user)
    except Exception:  # the installation's mail server; the link can be sent again
        logger.exception("The verification email to %s failed", user.email)
        messages.warning(
            request, _("The confirmation email could not be sent; send it again in a moment.")
        )
    else:
        messages.info(
            request,
            _("We sent a link to {email}: follow it to confirm your address.").format(
                email=user.email
            ),
        )


def verify_email(request, token):
    account = accounts.verify(token)
    if account is None:
        return render(request, "registration/verify_failed.html", status=400)
    messages.success(request, _("Thank you: your email address is confirmed."))
    return redirect("home" if request.user.is_authenticated else "login")


@require_POST
@entity_required
def resend_verification(request):
    account = request.entity.account
    if account.verified_at is None and within_hourly_limit(
        f"verify:to:{request.user.pk}", settings.PASSWORD_RESET_MAILS_PER_ADDRESS
    ):
        _mail_verification(request, account, request.user)
    return redirect("home")


# Operator security: two-factor login, password


def _render_security(request, codes=None, status=200):
    user = request.user
    device = two_factor.pending_enrolment(user)
    return render(
        request,
        "entities/security.html",
        {
            "authenticator": two_factor.authenticator(user),
            "pending": device,
            "qr_code": device and two_factor.qr_code_svg(device),
            "secret": device and two_factor.secret_of(device),
            "codes": codes,
            "codes_left": two_factor.recovery_codes_left(user),
            "required": two_factor.required_for(user),
            "sessions": login_sessions.sessions_of(user),
            "current_session": request.session.session_key,
            "account": request.entity.account if request.entity else None,
        },
        status=status,
    )


@login_required
def security_page(request):
    """The user's own login: two-factor authentication and password; and for an owner,
    whether the Account requires a second factor of everyone."""
    return _render_security(request)


@require_POST
@login_required
def log_out_session(request):
    """Log out one of the user's other browsers, or all of them ("others")."""
    wanted = request.POST.get("session", "")
    others = LoginSession.objects.filter(user=request.user).exclude(
        session_key=request.session.session_key
    )
    chosen = others if wanted == "others" else others.filter(pk=wanted if wanted.isdigit() else 0)
    count = 0
    for login_session in chosen:
        login_sessions.log_out(login_session)
        count += 1
    if count:
        team.record_for_user(request.user, AccountEvent.SESSIONS_ENDED, str(count))
    messages.success(
        request,
        ngettext("{count} session logged out.", "{count} sessions logged out.", count).format(
            count=count
        ),
    )
    return redirect(reverse("entities:security") + "#sessions")


@require_POST
@login_required
def security_setup(request):
    if not two_factor.may_enrol(request):
        messages.error(request, _("Confirm your email address before you set up two-factor login."))
        return redirect("entities:security")
    two_factor.start_enrolment(request.user)
    return redirect(reverse("entities:security") + "#two-factor")


@require_POST
@login_required
def security_confirm(request):
    device = two_factor.pending_enrolment(request.user)
    if device is None or not two_factor.may_enrol(request):
        return redirect("entities:security")
    codes = two_factor.confirm_enrolment(request, device, request.POST.get("code", ""))
    if codes is None:
        messages.error(request, _("That code is not right: type the one your app shows now."))
        return _render_security(request, status=400)
    team.record_for_user(request.user, AccountEvent.TWO_FACTOR_ON)
    messages.success(request, _("Two-factor login is on. Keep the recovery codes below."))
    return _render_security(request, codes=codes)


@require_POST
@login_required
def security_recovery_codes(request):
    if two_factor.authenticator(request.user) is None:
        return redirect("entities:security")
    messages.success(request, _("New recovery codes; the old ones no longer work."))
    return _render_security(request, codes=two_factor.new_recovery_codes(request.user))


@require_POST
@login_required
def security_turn_off(request):
    if two_factor.required_for(request.user):
        messages.error(request, _("Your account requires two-factor login: it stays on."))
    elif not request.user.check_password(request.POST.get("password", "")):
        messages.error(request, _("Give your password to turn two-factor login off."))
    else:
        two_factor.turn_off(request.user)
        team.record_for_user(request.user, AccountEvent.TWO_FACTOR_OFF)
        messages.success(request, _("Two-factor login is off."))
    return redirect("entities:security")


@require_POST
@role_required("owner")
def security_require(request):
    account = request.entity.account
    wanted = request.POST.get("require") == "1"
    if wanted and two_factor.authenticator(request.user) is None:
        messages.error(request, _("Turn on two-factor login for yourself first."))
        return redirect("entities:security")
    if account.require_two_factor != wanted:
        account.require_two_factor = wanted
        account.save(update_fields=["require_two_factor"])
        team.record(account, AccountEvent.TWO_FACTOR_REQUIRED if wanted
                    else AccountEvent.TWO_FACTOR_OPTIONAL, request.user)  # fmt: skip
    messages.success(
        request,
        _("Every member now logs in with a second factor.")
        if wanted
        else _("A second factor is now each member's choice."),
    )
    return redirect("entities:security")


def two_factor_verify(request):
    """The second step of a login with two-factor authentication."""
    if not request.user.is_authenticated:
        return redirect("login")
    back = request.GET.get("next") or request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("home")
    if request.user.is_verified():
        return redirect(back)
    failed = False
    request.entity = None  # nothing of the account shows before the second factor
    if request.method == "POST":
        if two_factor.verify(request, request.POST.get("code", "")):
            return redirect(back)
        failed = True
    return render(
        request,
        "registration/two_factor.html",
        {"next": back, "failed": failed},
        status=400 if failed else 200,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's; the session survives with a new key, which its LoginSession follows."""

    template_name = "registration/password_change.html"

    def form_valid(self, form):
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        LoginSession.objects.filter(session_key=old_key).update(
            session_key=self.request.session.session_key
        )
        team.record_for_user(self.request.user, AccountEvent.PASSWORD_CHANGED)
        return response

    def get_success_url(self):
        messages.success(self.request, _("Your password is changed."))
        return reverse("entities:security")
