"""Gap-free document numbers per Entity and kind of document."""

from datetime import date

from entities.models import Entity, format_document_number

from .models import NumberSequence


def take_next_number(entity: Entity, document_kind: str, issued_on: date) -> str:
    """Take the next number of the Entity's sequence for `document_kind` (see
    entities.models.DOCUMENT_KINDS), in the pattern the Entity has set for it now.

    Call it inside the transaction that finalizes the document: the sequence row stays locked
    until that transaction ends, so concurrent finalizations queue here and a rollback gives
    the number back. Numbers never repeat and never skip. Numbers that restart every year
    count in a sequence of their own per year of issue. Changing a pattern changes the
    numbers issued from then on, never the ones already issued.
    """
    pattern, yearly = entity.numbering(document_kind)
    year = issued_on.year if yearly else 0
    sequences = NumberSequence.objects.select_for_update()
    sequence = sequences.filter(entity=entity, kind=document_kind, year=year).first()
    if sequence is None:  # the first number of its kind (or year)
        NumberSequence.objects.get_or_create(entity=entity, kind=document_kind, year=year)
        sequence = sequences.get(entity=entity, kind=document_kind, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return format_document_number(pattern, sequence.last_number, issued_on)
