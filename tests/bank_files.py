"""Bank statement files as banks send them, for the tests: CAMT.053 and CAMT.054 built on
the example of ISO 20022's Message Definition Report for camt.053.001.02 (group header
"AAAASESS-FP-STAT001", the statement's balances, entries with bank transaction codes and
transaction details), and MT940 as German banks write it (field 86 with ?20 SVWZ, ?32 name
and ?31 IBAN)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo


def bank_today() -> date:
    """Today where the test Entity and its bank are (Europe/Berlin): between 23:00 and
    midnight UTC the machine's date is still yesterday's, before the invoices' issue date."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


@dataclass
class Booking:
    amount: str
    credit: bool = True
    reference: str = ""  # the bank's AcctSvcrRef
    name: str = ""
    iban: str = ""
    text: str = ""  # unstructured remittance
    creditor_reference: str = ""
    end_to_end: str = ""
    batch: str = ""  # PmtInfId of a booked transfer file
    booked: date = field(default_factory=bank_today)
    status: str = "BOOK"
    transactions: tuple = ()  # several Bookings booked as one entry


def camt053(
    account: str, bookings: list[Booking], version: str = "02", msg_id: str = "AAAASESS-FP-STAT001"
) -> bytes:
    entries = "".join(_entry(b, version) for b in bookings)
    bic = "BICFI" if version >= "08" else "BIC"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-11-20T17:00:00</CreDtTm>
   <MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn></GrpHdr>
  <Stmt>
   <Id>{msg_id}</Id><ElctrncSeqNb>101</ElctrncSeqNb><CreDtTm>2026-11-20T17:00:00</CreDtTm>
   <FrToDt><FrDtTm>2026-11-20T00:00:00</FrDtTm><ToDtTm>2026-11-20T23:59:59</ToDtTm></FrToDt>
   <Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy>
    <Ownr><Nm>Acme Leads GmbH</Nm></Ownr>
    <Svcr><FinInstnId><{bic}>COBADEFFXXX</{bic}></FinInstnId></Svcr></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">500000.00</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">435678.50</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>
   {entries}
  </Stmt>
 </BkToCstmrStmt>
</Document>""".encode()


def camt054(account: str, bookings: list[Booking], version: str = "02") -> bytes:
    entries = "".join(_entry(b, version) for b in bookings)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}">
 <BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>AAAASESS-FP-NOTIF001</MsgId><CreDtTm>2026-11-20T10:00:00</CreDtTm></GrpHdr>
  <Ntfctn>
   <Id>AAAASESS-FP-NOTIF001</Id><CreDtTm>2026-11-20T10:00:00</CreDtTm>
   <Acct><Id><IBAN>{account}</IBAN></Id></Acct>
   {entries}
  </Ntfctn>
 </BkToCstmrDbtCdtNtfctn>
</Document>""".encode()


def _entry(b: Booking, version: str) -> str:
    status = f"<Sts><Cd>{b.status}</Cd></Sts>" if version >= "08" else f"<Sts>{b.status}</Sts>"
    reference = f"<AcctSvcrRef>{b.reference}</AcctSvcrRef>" if b.reference else ""
    family = ("RCDT", "ESCT") if b.credit else ("ICDT", "ESCT")
    transactions = b.transactions or (b,)
    batch = ""
    if b.batch:
        total = sum(Decimal(t.amount) for t in transactions)
        batch = (
            f"<Btch><PmtInfId>{b.batch}</PmtInfId><NbOfTxs>{len(transactions)}</NbOfTxs>"
            f'<TtlAmt Ccy="EUR">{total}</TtlAmt></Btch>'
        )
    details = "".join(_details(t, version, several=len(transactions) > 1) for t in transactions)
    if b.batch and not b.transactions:
        details = ""  # the bank books the file as one sum and gives no details
    return f"""
   <Ntry>
    <Amt Ccy="EUR">{b.amount}</Amt><CdtDbtInd>{"CRDT" if b.credit else "DBIT"}</CdtDbtInd>
    {status}<BookgDt><Dt>{b.booked}</Dt></BookgDt><ValDt><Dt>{b.booked}</Dt></ValDt>{reference}
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family[0]}</Cd><SubFmlyCd>{family[1]}</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls>{batch}{details}</NtryDtls>
   </Ntry>"""


def _details(t: Booking, version: str, several: bool) -> str:
    refs = ""
    if t.end_to_end:
        refs = f"<Refs><EndToEndId>{t.end_to_end}</EndToEndId></Refs>"
    amount = f'<AmtDtls><TxAmt><Amt Ccy="EUR">{t.amount}</Amt></TxAmt></AmtDtls>'
    amount = amount if several else ""
    party, account = ("Dbtr", "DbtrAcct") if t.credit else ("Cdtr", "CdtrAcct")
    name = (
        f"<Pty><Nm>{escape(t.name)}</Nm></Pty>" if version >= "08" else f"<Nm>{escape(t.name)}</Nm>"
    )
    parties = ""
    if t.name or t.iban:
        parties = "<RltdPties>" + (f"<{party}>{name}</{party}>" if t.name else "")
        if t.iban:
            parties += f"<{account}><Id><IBAN>{t.iban}</IBAN></Id></{account}>"
        parties += "</RltdPties>"
    remittance = ""
    if t.text or t.creditor_reference:
        remittance = "<RmtInf>"
        if t.text:
            remittance += f"<Ustrd>{escape(t.text)}</Ustrd>"
        if t.creditor_reference:
            remittance += (
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{t.creditor_reference}</Ref></CdtrRefInf></Strd>"
            )
        remittance += "</RmtInf>"
    return f"<TxDtls>{refs}{amount}{parties}{remittance}</TxDtls>"


def mt940(account: str, bookings: list[Booking]) -> bytes:
    """A statement with one :61:/:86: pair per booking, in ISO 8859-1 as German banks send."""
    lines = [":20:STARTUMS", f":25:{account}", ":28C:00042/001", ":60F:C261119EUR500000,00"]
    for b in bookings:
        day = f"{b.booked:%y%m%d}{b.booked:%m%d}"
        amount = b.amount.replace(".", ",")
        sign, ours, banks = "C" if b.credit else "D", b.batch[:16], b.reference
        lines.append(f":61:{day}{sign}{amount}NTRF{ours or 'NONREF'}//{banks or 'NONREF'}")
        details = [f"?00{'GUTSCHRIFT' if b.credit else 'UEBERWEISUNG'}", "?10931"]
        purpose = (
            (f"EREF+{b.end_to_end}" if b.end_to_end else "")
            + (f"KREF+{b.batch}" if b.batch else "")
            + f"SVWZ+{b.text}"
        )
        for n, start in enumerate(range(0, len(purpose), 27)):
            details.append(f"?{20 + n}{purpose[start : start + 27]}")
        if b.iban:
            details.append(f"?31{b.iban}")
        if b.name:
            details.append(f"?32{b.name[:27]}")
        lines.append(":86:166" + "\r\n".join(details))
    lines.append(":62F:C261120EUR435678,50")
    return ("\r\n".join(lines) + "\r\n-").encode("latin-1")
