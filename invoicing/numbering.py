"""Gap-free document numbers per Entity and kind."""

from datetime import date

from entities.models import Entity, format_document_number

from .models import NumberSequence


def take_next_number(entity: Entity, kind: str, issued_on: date) -> str:
    """Take the next number of the Entity's sequence for `kind`.

    Call it inside the transaction that finalizes the document: the sequence row stays locked
    until that transaction ends, so concurrent finalizations queue here and a rollback gives
    the number back. Numbers never repeat and never skip.
    """
    NumberSequence.objects.get_or_create(entity=entity, kind=kind)
    sequence = NumberSequence.objects.select_for_update().get(entity=entity, kind=kind)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return format_document_number(number_format(entity, kind), sequence.last_number, issued_on)


def number_format(entity: Entity, kind: str) -> str:
    if kind == "credit_note":
        return entity.credit_note_number_format
    return entity.invoice_number_format
