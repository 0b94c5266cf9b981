"""Documents in the partner's language, with what the seller's country requires (issue 18)."""

import subprocess

import pytest
from lxml import etree

from invoicing.billing import finalize_invoice
from invoicing.corrections import void_invoice
from invoicing.models import InvoiceDocument, InvoicingError
from tests.factories import make_account, make_draft, make_entity, make_final, make_partner

pytestmark = pytest.mark.django_db


def pdf_text(invoice) -> str:
    pdf = InvoiceDocument.objects.get(invoice=invoice, kind=InvoiceDocument.PDF).content
    run = subprocess.run(["pdftotext", "-", "-"], input=bytes(pdf), capture_output=True)
    return " ".join(run.stdout.decode().split())


def xml(invoice):
    document = InvoiceDocument.objects.get(invoice=invoice, kind=InvoiceDocument.XML)
    return etree.fromstring(bytes(document.content))


def test_a_partner_reads_its_countrys_language_unless_it_chose_another(entity):
    assert make_partner(entity, country="AT", language="").document_language == "de"
    assert make_partner(entity, country="FR", language="").document_language == "fr"
    assert make_partner(entity, country="US", language="").document_language == "en"
    assert make_partner(entity, country="FR", language="en").document_language == "en"


def test_a_german_partners_invoice_is_in_german_with_german_numbers(entity):
    partner = make_partner(entity, language="de")
    text = pdf_text(make_final(entity, partner, leads=100, price="12.50"))
    assert "Rechnung RE-" in text
    assert "Leistungszeitraum 01.10.2026 – 31.10.2026" in text
    assert "1.250,00 €" in text
    assert "Zahlbar innerhalb von 14 Tagen" in text


def test_a_reverse_charge_invoice_in_german_says_so_in_the_directives_german_words(entity):
    partner = make_partner(
        entity, country="AT", vat_id="ATU13585627", vies_status="valid", language="de"
    )
    invoice = make_final(entity, partner)
    assert "Steuerschuldnerschaft des Leistungsempfängers" in pdf_text(invoice)


def test_a_german_credit_note_is_a_rechnungskorrektur_never_a_gutschrift(entity):
    invoice = make_final(entity, make_partner(entity, language="de"))
    credit_note = void_invoice(invoice, "Falscher Empfänger")
    text = pdf_text(credit_note)
    assert "Rechnungskorrektur" in text
    assert "Gutschrift" not in text


def test_the_einvoice_notes_and_payment_terms_follow_the_language(entity):
    invoice = make_final(entity, make_partner(entity, language="fr"))
    root = xml(invoice)
    terms = root.findtext(".//{*}SpecifiedTradePaymentTerms/{*}Description")
    assert terms.startswith("Payable sous 14 jours")


def test_finalize_refuses_a_german_gmbh_without_its_register_court(entity):
    entity.register_court = ""
    entity.save()
    with pytest.raises(InvoicingError, match="register court"):
        finalize_invoice(make_draft(entity))


def test_a_french_invoice_names_siren_rcs_capital_and_the_late_payment_terms():
    entity = make_entity(make_account(), country="FR", vat_id="FR40303265045", tax_number="")
    partner = make_partner(entity, country="FR", city="Lyon", postcode="69002", language="fr")
    invoice = make_final(entity, partner)
    text = pdf_text(invoice)
    assert "SAS RCS Lyon 732 829 320" in text
    assert "Capital social : 10 000,00 €" in text.replace("\u202f", " ")
    assert "Indemnité forfaitaire pour frais de recouvrement" in text
    assert "Escompte pour paiement anticipé : néant" in text
    buyer_id = xml(invoice).find(".//{*}BuyerTradeParty/{*}SpecifiedLegalOrganization/{*}ID")
    assert (buyer_id.text, buyer_id.get("schemeID")) == ("552100554", "0002")


def test_a_french_buyer_without_its_siren_cannot_be_invoiced_by_a_french_seller():
    entity = make_entity(make_account(), country="FR", vat_id="FR40303265045", tax_number="")
    partner = make_partner(entity, country="FR", city="Lyon", postcode="69002")
    partner.registration_number = ""
    partner.save()
    with pytest.raises(InvoicingError, match="SIREN"):
        finalize_invoice(make_draft(entity, partner))
