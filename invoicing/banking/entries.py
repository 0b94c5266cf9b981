"""What a bank statement file says, whatever its format: the account, and each booked
credit or debit. The CAMT and MT940 readers return these; `statements` stores them."""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass
class StatementEntry:
    booked_on: date
    amount: Decimal  # positive: `is_credit` says which way the money went
    currency: str
    is_credit: bool
    reference: str = ""  # the bank's own reference, unique per account; "" if it gave none
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""
    creditor_reference: str = ""  # structured remittance: RF… or a Belgian communication
    end_to_end_id: str = ""
    batch_id: str = ""  # a booking of a whole transfer file: its message or payment info id
    is_reversal: bool = False


@dataclass
class Statement:
    format: str
    account: str  # as the file names it: an IBAN, or a German "bank code/account number"
    statement_id: str = ""
    entries: list[StatementEntry] = field(default_factory=list)
    skipped: int = 0  # entries not booked yet (pending or for information)


def give_references(entries: list[StatementEntry]) -> None:
    """An entry without the bank's reference gets one from what it says, and its place
    among entries that say the same in the file: reading the file again gives the same
    references, so its entries are not imported twice."""
    seen: Counter = Counter()
    given = Counter(entry.reference for entry in entries if entry.reference)
    repeated: Counter = Counter()
    for entry in entries:
        if entry.reference:
            if given[entry.reference] > 1:  # the bank gave two entries one reference
                repeated[entry.reference] += 1
                entry.reference = f"{entry.reference}#{repeated[entry.reference]}"
            continue
        text = "|".join(
            str(value)
            for value in (
                entry.booked_on, entry.amount, entry.currency, entry.is_credit,
                entry.counterparty_iban, entry.remittance, entry.end_to_end_id, entry.batch_id,
            )
        )  # fmt: skip
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        seen[digest] += 1
        entry.reference = f"#{digest}-{seen[digest]}"
