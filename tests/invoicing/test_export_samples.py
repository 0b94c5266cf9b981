from django.core.management import call_command

from entities.models import Account
from invoicing.models import Invoice


def test_the_samples_are_written_and_nothing_stays_in_the_database(db, tmp_path):
    call_command("export_einvoice_samples", out=str(tmp_path))
    names = {p.name for p in tmp_path.iterdir()}
    assert {"domestic-de.pdf", "domestic-de.xml", "reverse-charge-at.xml"} <= names
    assert {"xrechnung-ubl.xml", "xrechnung-ubl-visual.pdf", "greek-el-buyer.xml"} <= names
    assert {"credit-note-cancelled-lead.xml", "credit-note-xrechnung-ubl.xml"} <= names
    assert {"self-billed-a-individual.pdf", "self-billed-b-at.xml", "self-billed-c-de.xml"} <= names
    assert "credit-note-self-billed-b-at.xml" in names
    assert {"xrechnung-cii-outside-eu.xml", "xrechnung-ubl-outside-eu.xml"} <= names
    assert {"vies-invalid-charged.xml", "credit-note-partial-amount.xml"} <= names
    assert {
        "canary-islands-buyer.xml",
        "per-lead-sub-cent.xml",
        "foreign-currency-usd.xml",
        "invoice-with-allowance.xml",
    } <= names
    assert {
        f"self-billed-{case}.xml"
        for case in ("foreign-eu-supplier", "non-eu-supplier", "small-business-de", "individual")
    } <= names
    assert {f"void-after-partial-{n}.xml" for n in ("invoice", "credit-1", "credit-2")} <= names
    assert {
        f"peppol-{case}.xml"
        for case in ("be-invoice", "be-credit-note", "self-billed-invoice",
                     "self-billed-credit-note", "de-xrechnung-buyer")
    } <= names  # fmt: skip
    assert "peppol-be-invoice-visual.pdf" in names
    assert not Account.objects.exists()
    assert not Invoice.objects.exists()
