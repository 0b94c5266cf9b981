"""Sending mail through an Account's own SMTP server, with the server's answer."""

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from .models import Account, SmtpSettings
from .network import non_public_address

logger = logging.getLogger(__name__)


class MailNotConfigured(Exception):
    """The Account has no SMTP settings yet."""


class TemporaryMailError(Exception):
    """The server could not take the message now (4xx, connection trouble): try again later."""


class PermanentMailError(Exception):
    """The server refused the message (5xx): sending it again will not help."""


@dataclass(frozen=True)
class SentMail:
    answer: str  # e.g. "250 2.0.0 Ok: queued as 4F1A…"


def smtp_of(account: Account) -> SmtpSettings:
    smtp = SmtpSettings.objects.filter(account=account).first()
    if smtp is None:
        raise MailNotConfigured(_("Set up your mail server in Settings first."))
    return smtp


def host_problem(host: str) -> str:
    """Why the product may not connect to this mail server, or "". Operators type the host,
    so without this check the test email scanned the product's own network.
    ALLOW_PRIVATE_SMTP_HOSTS lifts it for self-hosted installations whose mail server is on
    their own network."""
    if settings.ALLOW_PRIVATE_SMTP_HOSTS:
        return ""
    try:
        address = non_public_address(host)
    except LookupError:
        return f"The mail server {host} cannot be found: check its name."
    if address:
        return (
            f"The mail server {host} is on a private network ({address}); only mail "
            "servers on the internet can be used."
        )
    return ""


def send(account: Account, message: EmailMessage, timeout: int | None = None) -> SentMail:
    """Send `message` through the Account's SMTP server and return the server's answer;
    `timeout` (seconds per network step) defaults to SMTP_TIMEOUT.

    Raises TemporaryMailError or PermanentMailError, so a task can decide to retry.
    """
    smtp_settings = smtp_of(account)
    if problem := host_problem(smtp_settings.host):
        raise PermanentMailError(problem)
    message.from_email = smtp_settings.sender
    recipients = message.recipients()
    try:
        with _connect(smtp_settings, timeout or settings.SMTP_TIMEOUT) as server:
            server.ehlo_or_helo_if_needed()
            utf8 = server.has_extn("smtputf8")
            sender = envelope_address(smtp_settings.from_email, utf8)
            envelope = [envelope_address(recipient, utf8) for recipient in recipients]
            options = ["SMTPUTF8"] if not all(map(str.isascii, [sender, *envelope])) else []
            server.mail(sender, options)
            for recipient in envelope:
                code, answer = server.rcpt(recipient)
                if code >= 300:
                    raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
            # SMTP wants CRLF line ends; smtplib leaves bytes as they are.
            code, answer = server.data(message.message().as_bytes(linesep="\r\n"))
            if code >= 300:
                raise smtplib.SMTPDataError(code, answer)
    except smtplib.SMTPRecipientsRefused as error:
        code, answer = next(iter(error.recipients.values()))
        raise _classified(code, answer) from error
    except smtplib.SMTPResponseException as error:
        raise _classified(error.smtp_code, error.smtp_error) from error
    except (smtplib.SMTPException, OSError, UnicodeError) as error:
        logger.info("Mail server %s: %r", smtp_settings.host, error)
        raise TemporaryMailError(connection_problem(error)) from error
    return SentMail(f"{code} {_text(answer)}")


def connection_problem(error: Exception) -> str:
    """What went wrong with the mail server, in words for the operator, with what to do; the
    exception itself goes to the log."""
    if isinstance(error, ConnectionRefusedError):
        return _(
            "The mail server refused the connection: check its host and port in Settings → "
            "Mail server."
        )
    if isinstance(error, socket.gaierror):
        return _(
            "The mail server's name cannot be found: check its host in Settings → Mail server."
        )
    if isinstance(error, TimeoutError | socket.timeout):
        return _("The mail server did not answer in time; it is tried again.")
    if isinstance(error, ssl.SSLError):
        return _(
            "The secure connection to the mail server failed: check its security setting "
            "(STARTTLS or SSL/TLS) and port in Settings → Mail server."
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return _("The mail server closed the connection; it is tried again.")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return _("The mail server does not support what this email needs (e.g. SMTPUTF8).")
    return _("The mail server could not be reached; it is tried again.")


def envelope_address(address: str, utf8: bool) -> str:
    """The address as the SMTP envelope carries it: its domain in IDNA (versicherungsbüro.de
    becomes xn--versicherungsbro-wzb.de), which every server takes; letters beyond ASCII
    before the @ only to a server that offers SMTPUTF8 (RFC 6531). Raises
    PermanentMailError for an address this server cannot deliver to."""
    local, _at, domain = address.strip().rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise PermanentMailError(
            _("{address}: the part after the @ is not a valid domain.").format(address=address)
        ) from None
    if not local.isascii() and not utf8:
        raise PermanentMailError(
            _(
                "{address}: the mail server cannot deliver to an address with letters "
                "beyond ASCII before the @ (it does not offer SMTPUTF8). Give this "
                "partner another address."
            ).format(address=address)
        )
    return f"{local}@{domain}"


def _connect(smtp_settings: SmtpSettings, timeout: int) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if smtp_settings.security == SmtpSettings.SSL:
        server = smtplib.SMTP_SSL(
            smtp_settings.host, smtp_settings.port, timeout=timeout, context=context
        )
    else:
        server = smtplib.SMTP(smtp_settings.host, smtp_settings.port, timeout=timeout)
        if smtp_settings.security == SmtpSettings.STARTTLS:
            server.starttls(context=context)
    if smtp_settings.username:
        server.login(smtp_settings.username, smtp_settings.password)
    return server


def _classified(code: int, answer) -> Exception:
    text = f"{code} {_text(answer)}"
    return TemporaryMailError(text) if 400 <= code < 500 else PermanentMailError(text)


def _text(answer) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
