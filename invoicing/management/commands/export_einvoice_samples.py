"""Write one finalized sample invoice (PDF and XML) for each tax and e-invoice case, and
credit notes for some of them, to check
them with the official validators. Everything is created inside a transaction that is rolled
back at the end, so no sample ever stays in the database."""

from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from distribution.models import Assignment, DistributionProfile, DistributionTransaction
from distribution.services import record_delivery, record_lead_source
from entities.models import Account, Entity
from invoicing.billing import (
    add_credit,
    finalize_invoice,
    generate_drafts,
    set_allowance,
    transactions_on,
)
from invoicing.corrections import cancel_delivery, reduce_price, void_invoice
from invoicing.models import ExchangeRate, Invoice, InvoiceDocument
from invoicing.payouts import add_payout_line, generate_payout_drafts
from partners.models import Partner, SelfBillingAgreement

PERIOD = (date(2026, 10, 1), date(2026, 10, 31))

GERMAN_SELLER = {
    "name": "Sample DE",
    "legal_name": "Leadflip Sample GmbH",
    "street": "Friedrichstraße 10",
    "postcode": "10117",
    "city": "Berlin",
    "country": "DE",
    "vat_id": "DE136695976",
    "tax_number": "27/123/45678",
    "tax_office": "Finanzamt Berlin Mitte/Tiergarten",
    "contact_name": "Anna Becker",
    "email": "billing@sample-de.example.com",
    "phone": "+49 30 1234567",
    "bank_name": "Berliner Bank",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "default_currency": "EUR",
    "time_zone": "Europe/Berlin",
    "legal_form": "GmbH",
    "register_court": "Amtsgericht Berlin (Charlottenburg)",
    "register_number": "HRB 12345",
    "managing_directors": "Anna Becker",
}
US_SELLER = {
    "name": "Sample US",
    "legal_name": "Leadflip Sample Inc.",
    "street": "350 Fifth Avenue",
    "postcode": "10118",
    "city": "New York",
    "region": "NY",
    "country": "US",
    "tax_number": "12-3456789",
    "contact_name": "Sam Miller",
    "email": "billing@sample-us.example.com",
    "phone": "+1 212 555 0100",
    "default_currency": "USD",
    "time_zone": "America/New_York",
}


def buyer(name, country, city, postcode, street, vat_id="", **fields) -> dict:
    return {
        "name": name,
        "legal_name": name,
        "country": country,
        "city": city,
        "postcode": postcode,
        "street": street,
        "vat_id": vat_id,
        "email": f"invoices@{name.split()[0].lower()}.example.com",
        "payment_terms_days": 14,
        "language": "en",
        **fields,
    }


FRENCH_SELLER = {
    **GERMAN_SELLER,
    "legal_name": "Leadflip Exemple SAS",
    "street": "10 rue de la République",
    "postcode": "69001",
    "city": "Lyon",
    "country": "FR",
    "vat_id": "FR40303265045",
    "tax_number": "",
    "tax_office": "",
    "iban": "FR1420041010050500013M02606",
    "bic": "PSSTFRPPLYO",
    "bank_name": "La Banque Postale",
    "time_zone": "Europe/Paris",
    "legal_form": "SAS",
    "register_court": "Lyon",
    "register_number": "303 265 045",
    "managing_directors": "",
    "share_capital": Decimal("10000"),
    "siret": "303 265 045 00011",
    "late_payment_penalty": "taux directeur de la BCE majoré de 10 points",
}
BELGIAN_SELLER = {
    **GERMAN_SELLER,
    "legal_name": "Leadflip Voorbeeld BV",
    "street": "Wetstraat 16",
    "postcode": "1000",
    "city": "Brussel",
    "country": "BE",
    "vat_id": "BE0403019261",
    "tax_number": "",
    "tax_office": "",
    "iban": "BE68539007547034",
    "bic": "GEBABEBB",
    "bank_name": "BNP Paribas Fortis",
    "time_zone": "Europe/Brussels",
    "legal_form": "BV",
    "register_court": "Brussel",
    "register_number": "0403.019.261",
    "managing_directors": "",
}
VIES_VALID = {"vies_status": Partner.VIES_VALID, "vies_request_identifier": "WAPIAAAAX1S2ABC3"}
# Peppol: each participant's ID comes from its VAT ID (entities.peppol_ids) unless given.
PEPPOL = {"einvoice_format": Partner.EINVOICE_PEPPOL}
LEITWEG_ID = "991-01234-56"

# case -> (seller, buyer, options)
CASES = {
    "peppol-be-invoice": (BELGIAN_SELLER, buyer("Gentse Leads NV", "BE", "Gent", "9000",
                                                "Korenmarkt 1", "BE0202239951", **PEPPOL), {}),
    # A German public buyer reached over Peppol by its Leitweg-ID (scheme 0204).
    "peppol-de-xrechnung-buyer": (GERMAN_SELLER, buyer("Stadt Peppolheim", "DE", "Peppolheim",
                                                       "12345", "Rathausplatz 3",
                                                       buyer_reference=LEITWEG_ID,
                                                       peppol_scheme="0204",
                                                       peppol_id=LEITWEG_ID, **PEPPOL), {}),
    "domestic-de": (GERMAN_SELLER, buyer("Solar Leads München GmbH", "DE", "München", "80331",
                                         "Hauptstraße 1", "DE129273398"), {}),
    "domestic-de-reduced-rate": (
        {**GERMAN_SELLER, "vat_rate_kind": Entity.REDUCED_RATE,
         "reduced_rate_basis": "§ 12 Abs. 2 Nr. 1 UStG in Verbindung mit Anlage 2"},
        buyer("Buchverlag Hamburg GmbH", "DE", "Hamburg", "20095", "Mönckebergstraße 7"), {},
    ),
    "reverse-charge-at": (GERMAN_SELLER, buyer("Wiener Leads GmbH", "AT", "Wien", "1010",
                                               "Ringstraße 1", "ATU13585627", **VIES_VALID), {}),
    "reverse-charge-fr": (GERMAN_SELLER, buyer("Leads de Paris SAS", "FR", "Paris", "75002",
                                               "12 rue de la Paix", "FR40303265045",
                                               **VIES_VALID), {}),
    # VIES rejects the VAT ID: no reverse charge, the seller's VAT (S 19 %).
    "vies-invalid-charged": (GERMAN_SELLER, buyer("Linzer Leads GmbH", "AT", "Linz", "4020",
                                                  "Hauptplatz 1", "ATU13585627",
                                                  vies_status=Partner.VIES_INVALID), {}),
    # Outside the EU VAT area although in Spain (Art. 6): category O.
    "canary-islands-buyer": (GERMAN_SELLER, buyer("Canarias Leads SL", "ES", "Las Palmas",
                                                  "35001", "Calle Triana 1",
                                                  einvoice_format=Partner.EINVOICE_FACTURX), {}),
    "greek-el-buyer": (GERMAN_SELLER, buyer("Athens Leads AE", "GR", "Athina", "10557",
                                            "Ermou 5", "EL094259216", **VIES_VALID), {}),
    "eu-buyer-without-vat-id": (GERMAN_SELLER, buyer("Amsterdam Leads BV", "NL", "Amsterdam",
                                                     "1012 AB", "Damrak 1"), {}),
    "us-buyer": (GERMAN_SELLER, buyer("Austin Leads LLC", "US", "Austin", "78701",
                                      "100 Congress Ave", region="TX",
                                      einvoice_format=Partner.EINVOICE_FACTURX), {}),
    "us-seller": (US_SELLER, buyer("Boston Leads Corp", "US", "Boston", "02108",
                                   "1 Beacon St", region="MA",
                                   einvoice_format=Partner.EINVOICE_FACTURX), {}),
    "xrechnung-cii": (GERMAN_SELLER, buyer("Stadt Musterhausen", "DE", "Musterhausen", "12345",
                                           "Rathausplatz 1", buyer_reference=LEITWEG_ID,
                                           einvoice_format=Partner.EINVOICE_XRECHNUNG_CII), {}),
    "xrechnung-ubl": (GERMAN_SELLER, buyer("Stadt Beispielstadt", "DE", "Beispielstadt", "54321",
                                           "Marktplatz 2", buyer_reference=LEITWEG_ID,
                                           einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL), {}),
    # Outside the EU: category O, which XRechnung wants with a rate of 0 in BG-23.
    "xrechnung-cii-outside-eu": (GERMAN_SELLER, buyer("Zürich Leads AG", "CH", "Zürich", "8001",
                                                      "Bahnhofstrasse 1",
                                                      buyer_reference=LEITWEG_ID,
                                                      einvoice_format=Partner.EINVOICE_XRECHNUNG_CII),
                                 {}),
    "xrechnung-ubl-outside-eu": (GERMAN_SELLER, buyer("Oslo Leads AS", "NO", "Oslo", "0150",
                                                      "Karl Johans gate 1",
                                                      buyer_reference=LEITWEG_ID,
                                                      einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL),
                                 {}),
    # 3 leads at 12.25 with 19 % VAT (43.73): one credited, then the rest voided (below).
    "void-after-partial-invoice": (GERMAN_SELLER, buyer("Bremer Leads GmbH", "DE", "Bremen",
                                                        "28195", "Obernstraße 1"),
                                   {"assignments": ["12.25"]}),
    # A line per lead rounds nothing: 1,000 leads at 0.3333 are 333.30, listed in the annex
    # and in a CSV attached to the XML (BG-24).
    "per-lead-sub-cent": (GERMAN_SELLER, buyer("Leipziger Kleinleads GmbH", "DE", "Leipzig",
                                               "04109", "Augustusplatz 1", "DE129273398",
                                               line_items=Partner.PER_LEAD),
                          {"assignments": ["0.3333"], "leads": 1000}),
    # In US dollars: the VAT in euro too, at the ECB rate before the supply date (Art. 230).
    "foreign-currency-usd": (GERMAN_SELLER, buyer("Frankfurter Dollar Leads GmbH", "DE",
                                                  "Frankfurt am Main", "60311", "Zeil 1",
                                                  "DE129273398", currency="USD"),
                             {"currency": "USD"}),
    # A discount on the whole invoice before VAT (BG-20): 5 % of the lines.
    "invoice-with-allowance": (GERMAN_SELLER, buyer("Potsdamer Leads GmbH", "DE", "Potsdam",
                                                    "14467", "Brandenburger Straße 1",
                                                    "DE129273398"),
                               {"assignments": ["12.50", "9.99"], "allowance": "5"}),
    # The same two in UBL, whose syntax writes them differently.
    "xrechnung-ubl-with-allowance": (GERMAN_SELLER, buyer("Stadt Allmende", "DE", "Allmende",
                                                          "54322", "Marktplatz 3",
                                                          buyer_reference=LEITWEG_ID,
                                                          einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL),
                                     {"assignments": ["12.50", "9.99"], "allowance": "5"}),
    "xrechnung-ubl-foreign-currency-usd": (GERMAN_SELLER,
                                           buyer("Stadt Dollarhausen", "DE", "Dollarhausen",
                                                 "54323", "Marktplatz 4", currency="USD",
                                                 buyer_reference=LEITWEG_ID,
                                                 einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL),
                                           {"currency": "USD"}),
    # In the partner's language (issue 18): German and French labels, numbers and notes.
    "domestic-de-german": (GERMAN_SELLER, buyer("Kölner Solar GmbH", "DE", "Köln", "50667",
                                                "Domstraße 1", "DE129273398", language="de"),
                           {"assignments": ["1250.00"]}),
    "reverse-charge-at-german": (GERMAN_SELLER, buyer("Salzburger Leads GmbH", "AT", "Salzburg",
                                                      "5020", "Getreidegasse 1", "ATU13585627",
                                                      language="de", **VIES_VALID), {}),
    "domestic-fr-french": (FRENCH_SELLER, buyer("Leads de Lyon SARL", "FR", "Lyon", "69002",
                                                "1 place Bellecour", "FR40303265045",
                                                registration_number="552 100 554",
                                                language="fr"),
                           {"assignments": ["1250.00"]}),
    "multi-line-with-credit": (GERMAN_SELLER, buyer("Kölner Leads GmbH", "DE", "Köln", "50667",
                                                    "Hohe Straße 3", "DE129273398"),
                               {"assignments": ["12.50", "9.99", "15.00"], "credit": "12.50"}),
}  # fmt: skip


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Write a finalized sample invoice (PDF + XML) for each tax and e-invoice case."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="Directory to write the files to.")

    def handle(self, *args, out, **options):
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        try:
            with scopes_disabled(), transaction.atomic():
                account = Account.objects.create(name="Leadflip e-invoice samples")
                # A sample rate for the foreign-currency case, in the ECB's form (not the
                # ECB's figure of that day).
                ExchangeRate.objects.get_or_create(
                    currency="USD", day=date(2026, 10, 30), defaults={"per_euro": Decimal("1.1650")}
                )
                invoices = {}
                for case, (seller, buyer_fields, options) in CASES.items():
                    invoices[case] = make_sample(account, case, seller, buyer_fields, **options)
                    written += self.write(out_dir, case, invoices[case])
                for case, supplier_fields in SELF_BILLED_CASES.items():
                    invoices[case] = make_self_billed_sample(account, case, supplier_fields)
                    written += self.write(out_dir, case, invoices[case])
                for case, (original, correction) in CREDIT_NOTE_CASES.items():
                    written += self.write(out_dir, case, correction(invoices[original]))
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} files to {out_dir}."))

    def write(self, out_dir: Path, case: str, invoice: Invoice) -> list[Path]:
        documents = InvoiceDocument.objects.filter(invoice=invoice)
        has_xml = any(d.kind == InvoiceDocument.XML for d in documents)
        # Beside an XRechnung or Peppol XML the PDF is only a visual copy.
        visual = has_xml and invoice.einvoice_format != Partner.EINVOICE_FACTURX
        written = []
        for document in documents:
            suffix = "-visual" if visual and document.kind == "pdf" else ""
            path = out_dir / f"{case}{suffix}.{document.kind}"
            path.write_bytes(bytes(document.content))
            written.append(path)
        self.stdout.write(
            f"{case}: {invoice.number}, {invoice.tax_category} {invoice.tax_rate} %, "
            f"total {invoice.total} {invoice.currency}"
        )
        return written


def credit_one_lead(invoice: Invoice) -> Invoice:
    """A late cancellation of one lead, credited and finalized."""
    txn = transactions_on([invoice]).first()
    return finalize_invoice(cancel_delivery(txn, DistributionTransaction.REASON_REJECTED))


def reduce_by_ten_percent(invoice: Invoice) -> Invoice:
    return reduce_price(invoice, "Agreed volume discount", percent=Decimal("10"))


def void(invoice: Invoice) -> Invoice:
    return void_invoice(invoice, "Billed to the wrong entity")


# case -> (the invoice it corrects, how)
CREDIT_NOTE_CASES = {
    "credit-note-cancelled-lead": ("domestic-de", credit_one_lead),
    "credit-note-de-german": ("domestic-de-german", credit_one_lead),
    "credit-note-reverse-charge-at": ("reverse-charge-at", credit_one_lead),
    "credit-note-void-multi-line": ("multi-line-with-credit", void),
    "credit-note-xrechnung-cii": ("xrechnung-cii", credit_one_lead),
    "credit-note-xrechnung-ubl": ("xrechnung-ubl", void),
    "peppol-be-credit-note": ("peppol-be-invoice", credit_one_lead),
    "peppol-self-billed-credit-note": ("peppol-self-billed-invoice", void),
    "credit-note-self-billed-b-at": ("self-billed-b-at", void),
    "credit-note-partial-amount": ("domestic-de", reduce_by_ten_percent),
    # The two add up exactly to the invoice: net, VAT and total.
    "void-after-partial-credit-1": ("void-after-partial-invoice", credit_one_lead),
    "void-after-partial-credit-2": ("void-after-partial-invoice", void),
}


def supplier(name, country, city, postcode, street, vat_id="", **fields) -> dict:
    return {
        **buyer(name, country, city, postcode, street, vat_id, **fields),
        "is_buyer": False,
        "is_supplier": True,
        "iban": "DE02120300000000202051",
    }


# Self-billed invoices of a German Entity to its lead suppliers, by the supplier's VAT status
# (taxes.py): types A, B and C of seed 003, and the small business.
PRIVATE = {
    "kind": Partner.INDIVIDUAL,
    "vat_status": Partner.PRIVATE_PERSON,
    "not_a_business_declared_on": date(2026, 9, 1),
}
SELF_BILLED_CASES = {
    "self-billed-a-individual": supplier("Alex Muster", "DE", "Leipzig", "04109", "Markt 1",
                                         **PRIVATE),
    "self-billed-individual": supplier("Jonas Weber", "DE", "Berlin", "10961",
                                       "Bergmannstraße 5", **PRIVATE),
    "self-billed-b-at": supplier("Grazer Affiliates GmbH", "AT", "Graz", "8010", "Herrengasse 1",
                                 "ATU13585627", **VIES_VALID),
    "self-billed-foreign-eu-supplier": supplier("Lisboa Leads Lda", "PT", "Lisboa", "1100-148",
                                                "Rua Augusta 1", "PT501964843", **VIES_VALID),
    "self-billed-non-eu-supplier": supplier("Denver Affiliates LLC", "US", "Denver", "80202",
                                            "1600 Broadway", region="CO",
                                            tax_number="98-7654321"),
    "self-billed-c-de": supplier("Dresdner Affiliates GmbH", "DE", "Dresden", "01067",
                                 "Prager Straße 2", "DE129273398", **VIES_VALID),
    "peppol-self-billed-invoice": supplier("Kölner Affiliates GmbH", "DE", "Köln", "50667",
                                           "Hohe Straße 1", "DE129273398", **VIES_VALID,
                                           **PEPPOL),
    "self-billed-de-german": supplier("Hamburger Affiliates GmbH", "DE", "Hamburg", "20095",
                                      "Jungfernstieg 1", "DE129273398", language="de",
                                      **VIES_VALID),
    "self-billed-small-business-de": supplier("Lena Kraus Webdesign", "DE", "Freiburg", "79098",
                                              "Kaiser-Joseph-Straße 10",
                                              vat_status=Partner.SMALL_BUSINESS,
                                              tax_number="06/123/45678"),
}  # fmt: skip


def make_self_billed_sample(account, case, supplier_fields):
    entity = Entity.objects.create(account=account, **{**GERMAN_SELLER, "name": case})
    partner = Partner.objects.create(entity=entity, **supplier_fields)
    SelfBillingAgreement.objects.create(
        partner=partner,
        terms_version="1",
        accepted_at=timezone.now(),
        accepted_by="owner@affiliate.example.com",
        recorded_by="sample",
    )
    received_at = datetime.combine(date(2026, 10, 15), time(12), ZoneInfo(entity.time_zone))
    for lead, price in enumerate(["4.00", "4.00", "6.50"]):
        record_lead_source(entity, f"{case}-{lead}", partner, Decimal(price), received_at)
    generate_payout_drafts(entity, *PERIOD)
    draft = Invoice.objects.get(entity=entity, status=Invoice.DRAFT, self_billed=True)
    add_payout_line(draft, "Bonus: 100 leads in a month", 1, Decimal("25.00"))
    return finalize_invoice(draft)


def make_sample(account, case, seller, buyer_fields, assignments=("12.50",), credit=None,
                leads=None, currency=None, allowance=None):  # fmt: skip
    entity = Entity.objects.create(account=account, **{**seller, "name": f"{case}"})
    partner = Partner.objects.create(entity=entity, **buyer_fields)
    if partner.vies_status == Partner.VIES_VALID:
        partner.vies_checked_at = timezone.now()
        partner.save(update_fields=["vies_checked_at"])
    profile = DistributionProfile.objects.create(
        entity=entity, name="Solar leads", base_price=Decimal("10.00"),
        currency=currency or entity.default_currency,
    )  # fmt: skip
    delivered_at = datetime.combine(date(2026, 10, 15), time(12), ZoneInfo(entity.time_zone))
    for number, price in enumerate(assignments, start=1):
        assignment = Assignment.objects.create(
            profile=profile, partner=partner, name=f"Segment {number}",
            price_override=Decimal(price),
        )  # fmt: skip
        for lead in range(leads or 2 + number):
            record_delivery(assignment, f"{case}-{number}-{lead}", delivered_at)
    generate_drafts(entity, *PERIOD)
    draft = Invoice.objects.get(entity=entity, status=Invoice.DRAFT)
    if credit:
        add_credit(draft, "Credit: disputed lead", 1, Decimal(credit))
    if allowance:
        set_allowance(draft, "Volume discount", percent=Decimal(allowance))
    return finalize_invoice(draft)
