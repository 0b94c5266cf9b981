"""Is a partner's billing data complete enough to put on an invoice?"""

from entities.vat import vat_id_problem

from .models import Partner


def invoicing_details_problems(partner: Partner) -> list[str]:
    """What is missing or wrong in the partner's invoicing details, in words for the operator."""
    problems = []
    for label, value in [
        ("the partner's legal name", partner.legal_name),
        ("the partner's street", partner.street),
        ("the partner's city", partner.city),
    ]:
        if not value.strip():
            problems.append(f"Fill in {label}.")
    if problem := vat_id_problem(partner.vat_id, partner.country):
        problems.append(f"The partner's VAT ID {partner.vat_id}: {problem}")
    return problems
