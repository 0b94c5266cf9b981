"""Gap-free document numbers per Entity and kind of document."""

from datetime import date

from entities.models import Entity
from entities.number_patterns import format_document_number

from .models import Invoice, NumberSequence

# How many following numbers to look up at once when the next one was issued already.
LOOKAHEAD = 500


def take_next_number(entity: Entity, document_kind: str, issued_on: date) -> str:
    """Take the next number of the Entity's sequence for `document_kind` (see
    entities.models.DOCUMENT_KINDS), in the pattern the Entity has set for it now.

    Call it inside the transaction that finalizes the document: the sequence row stays locked
    until that transaction ends, so concurrent finalizations queue here and a rollback gives
    the number back. Numbers never repeat and never skip. Numbers that restart every year
    count in a sequence of their own per year of issue. Changing a pattern changes the
    numbers issued from then on, never the ones already issued.

    A number is never issued twice, also after a change of the pattern or of the yearly
    restart made the sequence reach numbers an earlier setting gave already (switching the
    restart on starts a year's count at 1): the counter then continues after them.
    """
    pattern, yearly = entity.numbering(document_kind)
    year = issued_on.year if yearly else 0
    sequences = NumberSequence.objects.select_for_update()
    sequence = sequences.filter(entity=entity, kind=document_kind, year=year).first()
    if sequence is None:  # the first number of its kind (or year)
        NumberSequence.objects.get_or_create(entity=entity, kind=document_kind, year=year)
        sequence = sequences.get(entity=entity, kind=document_kind, year=year)
    counter = sequence.last_number + 1
    if _issued(entity, [format_document_number(pattern, counter, issued_on)]):
        counter = _first_free(entity, pattern, counter + 1, issued_on)
    sequence.last_number = counter
    sequence.save(update_fields=["last_number"])
    return format_document_number(pattern, counter, issued_on)


def _first_free(entity: Entity, pattern: str, counter: int, issued_on: date) -> int:
    """The first counter from `counter` on whose number the Entity has not issued."""
    while True:
        batch = {
            format_document_number(pattern, n, issued_on): n
            for n in range(counter, counter + LOOKAHEAD)
        }
        taken = set(_issued(entity, batch))
        free = [n for number, n in batch.items() if number not in taken]
        if free:
            return free[0]
        counter += LOOKAHEAD


def _issued(entity: Entity, numbers) -> list[str]:
    """Which of these numbers the Entity has issued, on any kind of document. Kind and
    self_billed are named so the lookup is a few probes of the unique number index."""
    return list(
        Invoice.objects.filter(
            entity=entity,
            kind__in=[kind for kind, _ in Invoice.KIND_CHOICES],
            self_billed__in=[False, True],
            number__in=list(numbers),
        ).values_list("number", flat=True)
    )
