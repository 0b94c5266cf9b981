"""Settings, read from the environment.

Production is the default: DEBUG is off and SECRET_KEY must be given. `make run` sets DEBUG=true,
which allows a development key. Without DATABASE_URL the product uses a SQLite file; without
REDIS_URL Celery tasks run in-process.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    """A string from NAME, or from the file named by NAME_FILE (for secrets)."""
    if f"{name}_FILE" in os.environ:
        return Path(os.environ[f"{name}_FILE"]).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
# The address in emails; without it, in development, the address a request came in on
# (entities.site).
SITE_URL = os.environ.get("SITE_URL", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "entities",
    "partners",
    "distribution",
    "invoicing",
    "portal",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "entities.two_factor.TwoFactorMiddleware",
    "leadflip.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "leadflip.middleware.CurrentEntityMiddleware",
    "entities.site.RequestOriginMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadflip.urls"
WSGI_APPLICATION = "leadflip.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leadflip.context_processors.current_entity",
            ],
        },
    },
]

MIGRATION_DATABASE = "owner"
if envstr("DATABASE_URL"):
    # DB_CONN_MAX_AGE keeps a process's connection for that many seconds (docker-compose.yml:
    # 60), checked before each request or task reuses it: a new connection per billing-run
    # task cost a tenth of the task.
    DATABASES = {
        "default": dj_database_url.parse(
            envstr("DATABASE_URL"),
            conn_max_age=envint("DB_CONN_MAX_AGE", 0),
            conn_health_checks=True,
        )
    }
    # In production the application connects as a role that owns no table (it cannot
    # truncate them, drop or disable their triggers), and migrations run as the tables'
    # owner: `manage.py migrate` uses this connection, then grants the application's role
    # what it needs (entities/management/commands/migrate.py).
    if envstr("MIGRATE_DATABASE_URL"):
        DATABASES[MIGRATION_DATABASE] = dj_database_url.parse(envstr("MIGRATE_DATABASE_URL"))
else:  # the embedded default for `make run`
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "leadflip.sqlite3",
            # Writers take the lock when their transaction begins and wait up to 20 s for
            # it: with deferred transactions, concurrent finalizing failed with "database
            # is locked" when a reader tried to become a writer.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "entities.User"

# The invoice list's covering index (INCLUDE columns) is a PostgreSQL optimisation; the
# embedded SQLite of `make run` builds it without them, which is fine.
SILENCED_SYSTEM_CHECKS = [
    "models.W040",
    # HSTS preloading puts the domain on the browsers' built-in list, a decision for the
    # domain's owner (SECURE_HSTS_PRELOAD), not a default.
    "security.W021",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before the password
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages documents are written in: a partner's invoices, emails and e-invoice notes
# follow its language (entities.languages). The catalogues are in locale/; `make install`
# compiles them.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["leadflip.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "leadflip" / "static"]

SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if envbool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only, once the site is served over it (README, Production).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"

# Connections that generate a period's drafts side by side (invoicing.billing.generate_drafts):
# stamping a month of deliveries is CPU-bound in PostgreSQL, one core per connection.
GENERATION_WORKERS = envint("GENERATION_WORKERS", 2)

# Documents still missing on an invoice finalized this long ago are rendered again by the
# sweep (invoicing.tasks.render_missing_documents_task); younger ones are still rendering.
DOCUMENTS_RETRY_AFTER_SECONDS = envint("DOCUMENTS_RETRY_AFTER_SECONDS", 60)

# Invoices and portal mail go out through each Account's own SMTP server (Settings page).
SMTP_TIMEOUT = envint("SMTP_TIMEOUT", 20)
SMTP_TEST_TIMEOUT = envint("SMTP_TEST_TIMEOUT", 5)  # the Settings page's test email
# Mail servers on loopback, private or link-local addresses are refused unless this is on
# (a self-hosted installation whose mail server is on its own network).
ALLOW_PRIVATE_SMTP_HOSTS = envbool("ALLOW_PRIVATE_SMTP_HOSTS", False)
ALLOW_PRIVATE_ACCESS_POINT_HOSTS = envbool("ALLOW_PRIVATE_ACCESS_POINT_HOSTS", False)
# Webhook endpoints on a private network (and plain http), for a self-hosted installation.
ALLOW_PRIVATE_WEBHOOK_HOSTS = envbool("ALLOW_PRIVATE_WEBHOOK_HOSTS", False)
INVITATION_DAYS = envint("INVITATION_DAYS", 7)
INVITATIONS_PER_HOUR = envint("INVITATIONS_PER_HOUR", 20)  # per Account
OTP_TOTP_ISSUER = "Leadflip Invoicing"  # the name authenticator apps show
SIGNUP_ENABLED = envbool("SIGNUP_ENABLED", True)
SIGNUPS_PER_ADDRESS = envint("SIGNUPS_PER_ADDRESS", 5)  # per client address and hour
VERIFICATION_DAYS = envint("VERIFICATION_DAYS", 3)
SEND_RETRY_SECONDS = envint("SEND_RETRY_SECONDS", 60)  # first retry; doubles each time
# An email left "sending" this long by a worker that died is marked failed (and can be sent
# again by hand); one left "queued" this long is queued again.
DISPATCH_STUCK_SECONDS = envint("DISPATCH_STUCK_SECONDS", 10 * 60)
# Encrypts stored secrets such as SMTP passwords; defaults to a key derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = envstr("FIELD_ENCRYPTION_KEY")

# Failed logins: an account is locked after this many from anywhere, a client address after
# that many on any accounts, for LOGIN_LOCKOUT_SECONDS (operators: django-axes, with
# entities.security; partners: portal.auth). Behind a reverse proxy, TRUSTED_PROXY_COUNT
# says how many X-Forwarded-For entries to believe, from the right.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
LOGIN_FAILURES_PER_ACCOUNT = envint("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = envint("LOGIN_FAILURES_PER_ADDRESS", 30)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 15 * 60)
PORTAL_LOGIN_ATTEMPTS = envint("PORTAL_LOGIN_ATTEMPTS", LOGIN_FAILURES_PER_ACCOUNT)
PORTAL_LOCKOUT_SECONDS = envint("PORTAL_LOCKOUT_SECONDS", LOGIN_LOCKOUT_SECONDS)
AXES_HANDLER = "entities.security.PerParameterLimits"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_LOCKOUT_SECONDS)
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "entities.security.login_username"
AXES_CLIENT_IP_CALLABLE = "entities.security.client_ip"
AXES_LOCKOUT_CALLABLE = "entities.security.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# Password-reset mail: at most one per email address in this many seconds, and this many per
# client address and hour.
PASSWORD_RESET_MAIL_INTERVAL = envint("PASSWORD_RESET_MAIL_INTERVAL", 15 * 60)
PASSWORD_RESET_MAILS_PER_ADDRESS = envint("PASSWORD_RESET_MAILS_PER_ADDRESS", 10)
# The installation's own mail server, for operators' password resets (invoices go out
# through each Account's server, Settings → Mail server). Without one, such mail is
# written to the log.
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL") or "noreply@leadflip.invalid"
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
# Invitation and password-reset links expire after this many seconds.
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)

# Celery: with REDIS_URL the broker is Redis; without it tasks run in-process.
REDIS_URL = envstr("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker died is handed to another worker after the visibility timeout; workers
# look for such tasks every restore interval × throttle seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_interval": envint("CELERY_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": envint("CELERY_RESTORE_THROTTLE", 10),
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "monthly-billing": {
        "task": "invoicing.tasks.start_scheduled_billing",
        "schedule": crontab(minute=15, hour="*"),  # each Entity's billing day, in its time zone
    },
    "resume-billing-runs-after-returns": {
        "task": "invoicing.tasks.resume_billing_runs",
        "schedule": crontab(minute=45, hour="*"),
    },
    "mark-overdue-invoices": {
        "task": "invoicing.tasks.mark_overdue",
        "schedule": crontab(minute=5, hour="*"),  # hourly: each Entity's midnight is its own
    },
    "forget-idempotency-keys": {
        "task": "entities.tasks.forget_idempotency_keys",
        "schedule": crontab(minute=40, hour="*"),
    },
    "collect-payments": {
        "task": "invoicing.tasks.collect_payments",
        "schedule": crontab(minute=20, hour="*"),  # reminders in each Entity's daytime
    },
    "sweep-stuck-dispatches": {
        "task": "invoicing.tasks.sweep_stuck_dispatches_task",
        "schedule": crontab(minute="*/5"),
    },
    "follow-peppol-dispatches": {
        "task": "invoicing.tasks.follow_peppol_dispatches",
        "schedule": crontab(minute="*/10"),  # the webhook's fallback: ask the access point
    },
    "render-missing-documents": {
        "task": "invoicing.tasks.render_missing_documents_task",
        "schedule": crontab(minute="*/2"),
    },
    "fetch-exchange-rates": {
        "task": "invoicing.tasks.fetch_exchange_rates",
        # In UTC: after the ECB publishes, around 16:00 CET on working days.
        "schedule": crontab(minute=30, hour=16, day_of_week="mon-fri"),
    },
    "count-deliveries": {
        "task": "distribution.tasks.count_deliveries",
        "schedule": crontab(minute="*/15"),  # the dashboard's tally of each month
    },
    "recheck-vat-ids": {
        "task": "partners.tasks.recheck_vat_ids",
        "schedule": crontab(minute=30, hour=3, day_of_week="monday"),
    },
}

# The ECB's euro reference rates (XML), for the VAT of invoices in foreign currencies.
ECB_RATES_URL = (
    envstr("ECB_RATES_URL") or "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml"
)

# VIES, the EU's VAT ID check (SOAP). The WSDL ships with the partners app.
VIES_URL = (
    envstr("VIES_URL") or "https://ec.europa.eu/taxation_customs/vies/services/checkVatService"
)
VIES_TIMEOUT = envint("VIES_TIMEOUT", 15)
# Seconds to wait for a Peppol access point's answer; a slower one is retried later.
PEPPOL_TIMEOUT = envint("PEPPOL_TIMEOUT", 20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Libraries that log every document they write at INFO.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "factur-x": {"level": "WARNING"},
    },
}
