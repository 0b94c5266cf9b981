"""Is a partner's billing data complete enough to put on an invoice?"""

from django.conf import settings
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext as _
from django_scopes import scope

from entities.addresses import region_problem
from entities.signals import self_billing_terms_changed
from entities.vat import vat_id_problem

from .models import Partner


def invoicing_details_problems(partner: Partner, self_billing: bool | None = None) -> list[str]:
    """What is missing or wrong in the partner's invoicing details, in words that both the
    operator and the partner understand. Empty when the partner can be invoiced (and, for a
    supplier, when self-billed invoices can be issued on its behalf).

    A VAT ID that VIES has not answered for yet is not a problem of the details: the check
    runs by itself, and the tax decision holds an invoice that depends on it.

    `self_billing` False leaves out what only self-billing needs (for an invoice to a
    partner that is also a supplier); None checks it for every supplier."""
    problems = []
    for problem, value in [
        (
            _("Fill in the full name.")
            if partner.kind == Partner.INDIVIDUAL
            else _("Fill in the legal name."),
            partner.legal_name,
        ),
        (_("Fill in the street."), partner.street),
        (_("Fill in the city."), partner.city),
        (_("Fill in the country."), partner.country),
    ]:
        if not (value or "").strip():
            problems.append(problem)
    if needs_postcode(partner.country) and not (partner.postcode or "").strip():
        problems.append(_("Fill in the postcode."))
    if problem := region_problem(partner.region, partner.country):
        problems.append(problem)
    if partner.vat_id:
        if partner.kind == Partner.INDIVIDUAL:
            problems.append(
                _(
                    "A VAT ID belongs to a business: make the partner a company, "
                    "or remove the VAT ID."
                )
            )
        elif problem := vat_id_problem(partner.vat_id, partner.country):
            problems.append(
                _("The VAT ID {vat_id}: {problem}").format(vat_id=partner.vat_id, problem=problem)
            )
    if partner.effective_einvoice_format == Partner.EINVOICE_PEPPOL and not (
        partner.peppol_participant
    ):
        # PEPPOL-EN16931-R010 (R020 for the seller of a self-billed invoice).
        problems.append(_("Fill in its Peppol ID: its e-invoices go over Peppol."))
    if self_billing is None:
        self_billing = partner.is_supplier
    # A buyer's VAT ID that VIES rejects holds nothing: its invoice charges VAT (taxes.py).
    # A supplier's is the seller's VAT ID on its self-billed invoices: it has to be right.
    if self_billing and partner.vat_id and partner.vies_status == Partner.VIES_INVALID:
        problems.append(
            _("VIES reports the VAT ID {vat_id} as not valid: correct it or remove it.").format(
                vat_id=partner.vat_id
            )
        )
    if (
        partner.is_buyer
        and partner.entity.country == "FR"
        and partner.country == "FR"
        and partner.kind == Partner.COMPANY
        and not partner.registration_number
    ):
        # Art. 242 nonies A annexe II CGI, as the 2026 reform has it (national_mentions).
        problems.append(_("Fill in its SIREN: French invoices between businesses name it."))
    if self_billing:
        problems += vat_status_problems(partner)
    if self_billing and (problem := agreement_problem(partner)):
        problems.append(problem)
    return problems


def vat_status_problems(partner: Partner) -> list[str]:
    """What a supplier's self-billed invoices need for its VAT status (invoicing.taxes): a
    business is named by its VAT ID or tax number (Art. 226(3) VAT Directive; EN 16931
    BR-S-02, BR-AE-02, BR-E-02), a private individual by its declaration."""
    if partner.vat_status == Partner.PRIVATE_PERSON:
        problems = []
        if partner.vat_id:
            problems.append(
                _(
                    "A private individual has no VAT ID: remove it, or record the supplier as a "
                    "business."
                )
            )
        if not partner.not_a_business_declared_on:
            problems.append(
                _(
                    "Record the date of the supplier's declaration that it does not supply leads "
                    "as a business: a private individual's invoices rely on it."
                )
            )
        return problems
    if not (partner.vat_id or partner.tax_number):
        return [
            _(
                "Fill in the supplier's VAT ID or tax number: a business's self-billed invoice "
                "names one (for a business outside the EU, its home tax number)."
            )
        ]
    return []


# Countries of COUNTRY_CHOICES whose addresses have no postcode (the UAE), or where it is
# commonly left out (Ireland's Eircode, since 2015, is optional on mail).
WITHOUT_POSTCODES = {"AE", "IE"}


def needs_postcode(country: str) -> bool:
    return bool(country) and country not in WITHOUT_POSTCODES


def partners_sharing_vat_id(partner: Partner) -> list[Partner]:
    """The Entity's other partners with the same VAT ID: usually a partner entered twice."""
    if not partner.vat_id:
        return []
    return list(
        Partner.objects.filter(entity_id=partner.entity_id, vat_id=partner.vat_id).exclude(
            pk=partner.pk
        )
    )


def agreement_problem(partner: Partner) -> str:
    """Why no self-billed invoice may be issued for the supplier yet, or ''."""
    agreement = partner.current_agreement()
    if agreement is None:
        return _(
            "No self-billing agreement is recorded: the supplier has to accept that invoices "
            "are issued on its behalf."
        )
    version = partner.entity.self_billing_terms_version
    if version and agreement.terms_version != version:
        return (
            f"The supplier accepted version {agreement.terms_version} of the self-billing "
            f"terms; the current version is {version} and has to be accepted."
        )
    return ""


def refresh_invoicing_problems(partner: Partner) -> list[str]:
    """Check the partner's details again and store what is wrong (for lists and counts), in
    the site's language whoever made the change: pages show the problems they compute."""
    with translation.override(settings.LANGUAGE_CODE):
        partner.invoicing_problems = invoicing_details_problems(partner)
    Partner.objects.filter(pk=partner.pk).update(invoicing_problems=partner.invoicing_problems)
    return partner.invoicing_problems


@receiver(self_billing_terms_changed)
def refresh_suppliers(sender, entity, **kwargs) -> None:
    """Check the Entity's suppliers again: their agreements may name an older version now."""
    with scope(entity=entity):
        for partner in Partner.objects.filter(entity=entity, is_supplier=True).select_related(
            "entity"
        ):
            refresh_invoicing_problems(partner)
