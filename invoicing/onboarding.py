"""The checklist a new Entity works through before its first invoice, shown on the home
page until every item is done. Each item links to where it is done."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from distribution.models import Assignment
from entities.models import EU_COUNTRIES, ApiKey, Entity, SmtpSettings, vat_country
from partners.models import Partner


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    link: str
    hint: str = ""


def checklist(entity: Entity) -> list[Step]:
    settings = reverse("entities:settings")
    seller = all([entity.legal_name, entity.street, entity.postcode, entity.city]) and bool(
        entity.vat_id or entity.tax_number
    )
    steps = [
        Step("seller", _("Seller details: legal name, address, VAT ID or tax number"), seller,
             settings + "#seller"),
    ]  # fmt: skip
    if entity.vat_id and vat_country(entity.country) in EU_COUNTRIES:
        steps.append(
            Step(
                "vies",
                _("Your VAT ID confirmed by VIES"),
                bool(entity.vies_valid),
                reverse("partners:check_own_vat_id"),
                _("VIES answered that {vat_id} is not valid: correct it in Settings.").format(
                    vat_id=entity.vat_id
                )
                if entity.vies_valid is False
                else "",
            )
        )
    steps += [
        Step("bank", _("Bank account for your invoices"), bool(entity.iban), settings + "#payment"),
        Step("numbers", _("Invoice number formats, looked at and saved"),
             entity.settings_saved_at is not None, settings + "#numbering"),
        Step("mail", _("Your mail server, for sending invoices"),
             SmtpSettings.objects.filter(account=entity.account_id).exists(), settings + "#mail"),
        Step("routing", _("A distribution profile with an assignment"),
             Assignment.objects.filter(profile__entity=entity).exists(),
             reverse("distribution:profiles")),
        Step("api_key", _("An API key for your lead router"),
             ApiKey.objects.filter(entity=entity, revoked_at=None).exists(),
             settings + "#api-keys"),
        Step("partner", _("Your first partner"), Partner.objects.filter(entity=entity).exists(),
             reverse("partners:create")),
    ]  # fmt: skip
    return steps


def open_checklist(entity: Entity) -> list[Step] | None:
    """The checklist while something is left to do, else None."""
    steps = checklist(entity)
    return None if all(step.done for step in steps) else steps
