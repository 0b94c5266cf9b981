"""VIES, the EU Commission's VAT ID check, through its SOAP service.

`checkVatApprox` with the Entity's own VAT ID as requester returns a consultation number
(`requestIdentifier`) that proves the check was made; it is stored on the partner and copied
onto every reverse-charge invoice that relies on it. The service's WSDL is kept beside this
module, so nothing is downloaded at run time; `VIES_URL` says where the service is.

Only an explicit `valid=false` makes a VAT ID invalid. The faults in TEMPORARY_FAULTS and
network errors are outages: they raise ViesUnavailable and change nothing.
"""

import logging
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import requests
import zeep
import zeep.exceptions
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from zeep.transports import Transport

from entities.models import Entity

from .checks import refresh_invoicing_problems
from .models import Partner

WSDL = Path(__file__).with_name("checkVatService.wsdl")
BINDING = "{urn:ec.europa.eu:taxud:vies:services:checkVat}checkVatBinding"
TEMPORARY_FAULTS = {
    "MS_UNAVAILABLE",
    "TIMEOUT",
    "SERVICE_UNAVAILABLE",
    "MS_MAX_CONCURRENT_REQ",
    "GLOBAL_MAX_CONCURRENT_REQ",
}
# VIES answers for EU member states and Northern Ireland (XI); Greece is EL.
VIES_PREFIXES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
}  # fmt: skip

logger = logging.getLogger(__name__)


class ViesUnavailable(Exception):
    """VIES could not answer now; ask again later."""


class ViesRefused(Exception):
    """VIES refused the question itself (e.g. INVALID_INPUT); asking again will not help."""


@dataclass(frozen=True)
class ViesAnswer:
    valid: bool
    request_identifier: str
    request_date: date
    trader_name: str


@cache
def _service(url: str):
    transport = Transport(timeout=settings.VIES_TIMEOUT, operation_timeout=settings.VIES_TIMEOUT)
    client = zeep.Client(str(WSDL), transport=transport)
    return client.create_service(BINDING, url)


def can_check(vat_id: str) -> bool:
    return vat_id[:2] in VIES_PREFIXES


def check_vat_id(vat_id: str, requester_vat_id: str = "") -> ViesAnswer:
    """Ask VIES whether `vat_id` (with its country prefix) is valid."""
    requester = requester_vat_id if can_check(requester_vat_id) else ""
    try:
        response = _service(settings.VIES_URL).checkVatApprox(
            countryCode=vat_id[:2],
            vatNumber=vat_id[2:],
            requesterCountryCode=requester[:2] or None,
            requesterVatNumber=requester[2:] or None,
        )
    except zeep.exceptions.Fault as fault:
        code = (fault.message or "").strip()
        if code in TEMPORARY_FAULTS:
            raise ViesUnavailable(code) from fault
        raise ViesRefused(code or _("VIES refused the request.")) from fault
    except (requests.RequestException, zeep.exceptions.TransportError, OSError) as error:
        logger.info("VIES could not be reached: %r", error)
        raise ViesUnavailable("VIES, the EU's VAT ID service, could not be reached") from error
    return ViesAnswer(
        valid=bool(response.valid),
        request_identifier=response.requestIdentifier or "",
        request_date=response.requestDate,
        trader_name=response.traderName or "",
    )


def check_entity_vat_id(entity: Entity) -> bool:
    """Check the Entity's own VAT ID with VIES (its onboarding: a typo there is on every
    invoice) and store the answer; whether VIES confirmed it. Raises ViesUnavailable or
    ViesRefused, changing nothing."""
    vat_id = entity.vat_id
    answer = check_vat_id(vat_id)
    Entity.objects.filter(pk=entity.pk, vat_id=vat_id).update(
        vies_valid=answer.valid, vies_checked_at=timezone.now()
    )
    entity.vies_valid, entity.vies_checked_at = answer.valid, timezone.now()
    return answer.valid


def record_vies_check(partner: Partner) -> Partner:
    """Check the partner's VAT ID with VIES and store the answer on the partner.

    An outage is noted (vies_last_error) and re-raised as ViesUnavailable for a retry; it
    never changes the status. The answer is only stored if the VAT ID is still the one that
    was checked.
    """
    vat_id = partner.vat_id
    if not vat_id or not can_check(vat_id):
        return partner
    current = Partner.objects.filter(pk=partner.pk, vat_id=vat_id)
    try:
        answer = check_vat_id(vat_id, partner.entity.vat_id)
    except ViesUnavailable as error:
        current.update(vies_last_error=f"{error} ({timezone.now():%Y-%m-%d %H:%M} UTC)")
        raise
    except ViesRefused as error:
        current.update(vies_last_error=str(error))
        return partner
    current.update(
        vies_status=Partner.VIES_VALID if answer.valid else Partner.VIES_INVALID,
        vies_checked_at=timezone.now(),
        vies_request_identifier=answer.request_identifier,
        vies_last_error="",
    )
    partner.refresh_from_db()
    refresh_invoicing_problems(partner)
    return partner
