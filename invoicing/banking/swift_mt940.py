"""Reading SWIFT MT940 statements (the `mt-940` package), with the structured details
German banks give in field 86 (EREF, KREF, SVWZ, the payer's name and IBAN).

An entry's reference is the bank's (after "//" in field 61) where it gives one, else one made
from what the entry says (`give_references`): the same file, or an export that overlaps an
earlier one, adds no entry twice."""

from datetime import date
from decimal import Decimal

import mt940
from django.utils.translation import gettext as _

from ..models import BankStatement, InvoicingError
from .entries import Statement, StatementEntry, give_references

NO_REFERENCE = {"", "NONREF", "NOTPROVIDED"}


def parse_mt940(content: bytes) -> Statement:
    # Parsed from text: the package's own reader takes bytes that name a file for a path.
    text = _decode(content).removeprefix("\ufeff")
    transactions = mt940.models.Transactions(
        processors={
            "post_transaction": [mt940.processors.transaction_details_post_processor],
        },
        options=mt940.Options(applicant_iban=True),
    )
    try:
        transactions.parse(text)
    except Exception as error:  # the parser raises bare RuntimeErrors and ValueErrors
        raise InvoicingError(
            _("This MT940 file could not be read: {error}").format(error=error)
        ) from error
    account = (transactions.data.get("account_identification") or "").strip()
    if not account:
        raise InvoicingError(
            _("This is not a CAMT.053, CAMT.054 or MT940 file: upload your bank's statement.")
        )
    currency = _currency(transactions.data)
    statement = Statement(
        format=BankStatement.MT940,
        account=account,
        statement_id=" ".join(
            str(transactions.data.get(key) or "")
            for key in ("transaction_reference", "statement_number")
        ).strip()[:140],
    )
    for transaction in transactions:
        data = transaction.data
        amount = data["amount"]
        is_credit = data.get("status", "C").endswith("C")  # "RC" is a reversed credit
        end_to_end = (data.get("end_to_end_reference") or "").strip()
        # A transfer file's id: KREF of field 86 in full, which the package puts on a line
        # after field 61's customer reference (16 characters at most).
        batch = ((data.get("customer_reference") or "").split() or [""])[-1]
        bank_reference = (data.get("bank_reference") or "").strip()
        booked = data.get("entry_date") or data["date"]
        statement.entries.append(
            StatementEntry(
                # A bank's MT940 reference is not always unique: with the day, the amount
                # and the direction it is.
                reference=""
                if bank_reference.upper() in NO_REFERENCE
                else f"{bank_reference}/{booked:%Y%m%d}/{abs(Decimal(amount.amount))}/"
                f"{'C' if is_credit else 'D'}",
                booked_on=date(booked.year, booked.month, booked.day),
                amount=abs(Decimal(amount.amount)),
                currency=amount.currency or currency,
                is_credit=is_credit,
                is_reversal=data.get("status", "").startswith("R"),
                counterparty_name=(data.get("applicant_name") or "").strip()[:200],
                counterparty_iban=(data.get("applicant_iban") or "").replace(" ", "").upper(),
                remittance=" ".join((data.get("purpose") or "").split())[:500],
                end_to_end_id="" if end_to_end.upper() in NO_REFERENCE else end_to_end[:35],
                batch_id="" if batch.upper() in NO_REFERENCE else batch[:35],
            )
        )
    give_references(statement.entries)
    return statement


def _decode(content: bytes) -> str:
    """UTF-8, or what German banks still send: ISO 8859-1."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def _currency(data: dict) -> str:
    for key in ("final_opening_balance", "opening_balance", "final_closing_balance"):
        balance = data.get(key)
        if balance is not None and balance.amount.currency:
            return balance.amount.currency
    return ""
