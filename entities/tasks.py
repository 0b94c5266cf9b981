from celery import shared_task
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation

from .models import User
from .site import site_url


@shared_task
def send_password_reset_task(email: str) -> None:
    """Mail a password-reset link to the operator login with this email, if there is one.
    A task, so that the request answers in the same time whether the address is known."""
    form = PasswordResetForm({"email": email})
    user = User.objects.filter(email__iexact=email).first()
    # In the language the user reads the pages in (the browser's is unknown here).
    with translation.override((user and user.language) or settings.LANGUAGE_CODE):
        if form.is_valid():
            site = site_url()
            form.save(
                domain_override=site.split("://", 1)[-1],
                use_https=site.startswith("https://"),
                subject_template_name="registration/password_reset_subject.txt",
                email_template_name="registration/password_reset_email.txt",
            )


@shared_task
def forget_idempotency_keys() -> int:
    """Hourly: drop the stored answers of API requests older than a day."""
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .models import IdempotentRequest

    since = timezone.now() - timedelta(hours=IdempotentRequest.KEPT_HOURS)
    with scopes_disabled():
        return IdempotentRequest.objects.filter(created_at__lt=since).delete()[0]
