"""The words of an invoice's documents, in the invoice's language (Invoice.language, the
partner's): the labels a PDF template prints as `{{ label.issue_date }}`, and the sentences
the PDF and the e-invoice share (payment terms, BT-20; notes, BT-22).

Everything here translates in the active language: callers wrap it in
`translation.override(invoice.language)` (see `in_language`). A German credit note is a
"Rechnungskorrektur", never a "Gutschrift", which in German law is a self-billed invoice
(§ 14(2) UStG); the words of Art. 226(10a) and (11a) are those of the Directive's language
versions ("Gutschrift", "Autofacturation"; "Steuerschuldnerschaft des Leistungsempfängers",
"Autoliquidation").
"""

from contextlib import contextmanager

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext

from entities.languages import currency_sign, format_date, format_number
from entities.national_mentions import RECOVERY_INDEMNITY_EUR, register_line
from entities.numbers import amount, iban

from .banking import printed_reference
from .models import Invoice


@contextmanager
def in_language(invoice: Invoice):
    with translation.override(invoice.language or "en"):
        yield


# The mentions Art. 226 asks for in so many words, as the check of a template looks for them.
REVERSE_CHARGE = gettext_noop("Reverse charge")
SELF_BILLING = gettext_noop("Self-billing")
VAT_ON_DEBITS = gettext_noop(
    "VAT paid on debits (option pour le paiement de la taxe d'après les débits)"
)


def labels() -> dict[str, str]:
    """The labels of the invoice template, translated now."""
    return {
        "page": _("page"),
        "page_of": pgettext("page 1 of 2", "of"),
        "vat_id": _("VAT ID"),
        "tax_number": _("Tax number"),
        "tax_office": _("Tax office"),
        "corrects_invoice": _("Corrects invoice"),
        "issue_date": _("Issue date"),
        "due_date": _("Due date"),
        "service_period": _("Service period"),
        "supplier": _("Supplier (seller)"),
        "suppliers_vat_id": _("Supplier's VAT ID"),
        "suppliers_tax_number": _("Supplier's tax number"),
        "customer": _("Customer (buyer)"),
        "customers_vat_id": _("Customer's VAT ID"),
        "our_vat_id": _("Our VAT ID"),
        "our_tax_number": _("Our tax number"),
        "your_vat_id": _("Your VAT ID"),
        "your_reference": _("Your reference"),
        "your_siren": _("Your SIREN"),
        "description": _("Description"),
        "quantity": _("Quantity"),
        "unit_price": _("Unit price"),
        "amount": _("Amount"),
        "line_total": _("Total of the lines"),
        "allowance": _("Allowance"),
        "subtotal": _("Subtotal (net)"),
        "vat": _("VAT"),
        "vat_reverse_charge": _("VAT 0 % (reverse charge)"),
        "total_credited": _("Total credited"),
        "total_to_supplier": _("Total payable to the supplier"),
        "total_due": _("Total due"),
        "settlement": _("Settlement"),
        "payment": _("Payment"),
        "annex": _("Annex: delivered leads"),
        "leads_in_annex": _("The delivered leads are listed in the annex."),
        "reverse_charge": _(REVERSE_CHARGE),
        "self_billing": _(SELF_BILLING),
        "epc_qr": _("Scan the code with your banking app to pay by transfer."),
    }


# The words our own lines begin with, stored in English and written in the document's
# language on its PDF and e-invoice; what follows them is the operator's (profile and
# assignment names, a reason).
SUPPLIED_LEADS = gettext_noop("Leads supplied")
CANCELLED_LEADS = gettext_noop("Cancelled leads")
PRICE_REDUCTION = gettext_noop("Price reduction")
RETURNED_LEADS = gettext_noop("Returned leads")


def line_description(description: str) -> str:
    """A line's description in the active language: "Cancelled leads · Solar DE · Premium"
    reads "Stornierte Leads · Solar DE · Premium" on a German credit note."""
    for words in (SUPPLIED_LEADS, CANCELLED_LEADS, PRICE_REDUCTION, RETURNED_LEADS):
        if description == words or description.startswith((words + " · ", words + ": ")):
            return _(words) + description[len(words) :]
    return description


def corrects(invoice: Invoice) -> str:
    original = invoice.corrects
    return _("%(number)s of %(date)s") % {
        "number": original.number,
        "date": format_date(original.issue_date),
    }


def self_billing_statement(invoice: Invoice) -> str:
    """Who issues a self-billed document on whose behalf (Art. 224)."""
    values = {"buyer": invoice.buyer.get("name", ""), "seller": invoice.seller.get("name", "")}
    if invoice.is_credit_note:
        return (
            _(
                "this self-billed credit note is issued by %(buyer)s on behalf of %(seller)s, "
                "the supplier, under their self-billing agreement."
            )
            % values
        )
    return (
        _(
            "this self-billed invoice is issued by %(buyer)s on behalf of %(seller)s, the "
            "supplier, under their self-billing agreement."
        )
        % values
    )


def exchange_rate_notice(invoice: Invoice) -> str:
    """Art. 230: the VAT in the national currency, with the rate, its date and source."""
    return _(
        "VAT in %(tax_currency)s: %(amount)s, at 1 %(currency)s = %(rate)s %(sign)s, %(source)s."
    ) % {
        "tax_currency": invoice.tax_currency,
        "amount": amount(invoice.tax_amount_in_tax_currency, invoice.tax_currency),
        "currency": invoice.currency,
        "rate": format_number(invoice.exchange_rate, 0, 8),
        "sign": currency_sign(invoice.tax_currency),
        "source": invoice.exchange_rate_source,
    }


def payment_text(invoice: Invoice) -> list[str]:
    """What happens to the money, as the PDF says it: one or two sentences."""
    seller, buyer = invoice.seller, invoice.buyer
    total = amount(invoice.total, invoice.currency)
    if invoice.is_credit_note:
        if invoice.self_billed:
            credit = _("%(seller)s credits %(buyer)s %(total)s.") % {
                "seller": seller.get("name", ""),
                "buyer": buyer.get("name", ""),
                "total": total,
            }
        else:
            credit = _("We credit you %(total)s.") % {"total": total}
        return [credit + " " + _("The amount is set off against open invoices or refunded.")]
    days, due = buyer.get("payment_terms_days", ""), format_date(invoice.due_date)
    transfer = bank_transfer(seller)
    if invoice.self_billed:
        text = ngettext(
            "%(buyer)s pays %(total)s within %(days)s day, by %(due)s.",
            "%(buyer)s pays %(total)s within %(days)s days, by %(due)s.",
            int(days or 0),
        ) % {"buyer": buyer.get("name", ""), "total": total, "days": days, "due": due}
        return [text, transfer] if transfer else [text]
    if invoice.payment_reference:
        text = ngettext(
            "Payable within %(days)s day, by %(due)s, quoting payment reference %(reference)s.",
            "Payable within %(days)s days, by %(due)s, quoting payment reference %(reference)s.",
            int(days or 0),
        ) % {"days": days, "due": due, "reference": printed_reference(invoice.payment_reference)}
    else:
        text = ngettext(
            "Payable within %(days)s day, by %(due)s, quoting invoice number %(number)s.",
            "Payable within %(days)s days, by %(due)s, quoting invoice number %(number)s.",
            int(days or 0),
        ) % {"days": days, "due": due, "number": invoice.number}
    return [text, transfer] if transfer else [text]


def bank_transfer(seller: dict) -> str:
    if not seller.get("iban"):
        return ""
    account = ", ".join(
        part
        for part in (
            seller.get("name", ""),
            seller.get("bank_name", ""),
            f"IBAN {iban(seller['iban'])}",
            f"BIC {seller['bic']}" if seller.get("bic") else "",
        )
        if part
    )
    return _("Bank transfer to %(account)s.") % {"account": account}


def payment_terms(invoice: Invoice) -> str:
    """The payment terms of the e-invoice (BT-20)."""
    if invoice.is_credit_note:
        return _("Credited on %(date)s: set off or refunded.") % {
            "date": format_date(invoice.issue_date)
        }
    days = invoice.buyer.get("payment_terms_days")
    if days is None or not invoice.due_date:
        return ""
    return ngettext(
        "Payable within %(days)s day, by %(due)s.",
        "Payable within %(days)s days, by %(due)s.",
        int(days),
    ) % {"days": days, "due": format_date(invoice.due_date)}


def legal_mentions(details: dict) -> list[str]:
    """What the issuer's country asks every invoice to say about it (national_mentions):
    legal form and register, directors, capital, SIRET."""
    mentions = []
    form_and_register = " ".join(
        part for part in (details.get("legal_form", ""), register_line(details)) if part
    )
    if form_and_register:
        mentions.append(form_and_register)
    if details.get("siret"):
        mentions.append(f"SIRET {details['siret']}")
    if details.get("managing_directors"):
        mentions.append(
            _("Managing directors: %(names)s") % {"names": details["managing_directors"]}
        )
    if details.get("share_capital"):
        capital = amount(details["share_capital"], details.get("share_capital_currency", "EUR"))
        mentions.append(_("Share capital: %(amount)s") % {"amount": capital})
    return mentions


def national_invoice_mentions(invoice: Invoice) -> list[str]:
    """What the seller's country asks an invoice to say beyond Art. 226 and the seller's
    register. France: the category of operation and the VAT-on-debits option (the 2026
    reform), and on an invoice to be paid the late-payment penalty rate, the EUR 40 indemnity
    and the early-payment discount (L441-9, D441-5 Code de commerce)."""
    seller = invoice.seller
    if seller.get("country") != "FR" or invoice.self_billed:
        return []
    mentions = [_("Category of operation: supply of services")]
    if seller.get("vat_on_debits"):
        mentions.append(
            _("VAT paid on debits (option pour le paiement de la taxe d'après les débits)")
        )
    if invoice.is_credit_note:
        return mentions
    return mentions + [
        _("Late-payment penalties: %(rate)s.") % {"rate": seller.get("late_payment_penalty", "")},
        _("Fixed indemnity for recovery costs in case of late payment: %(amount)s.")
        % {"amount": amount(RECOVERY_INDEMNITY_EUR, "EUR")},
        _("Early-payment discount: %(discount)s.")
        % {"discount": seller.get("early_payment_discount") or _("none")},
    ]
