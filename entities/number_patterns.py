"""Document number patterns such as `RE-{YYYY}-{seq:05}`: what they may contain, how they
are filled, and whether two of them can ever produce the same number.

A pattern is plain text and these tokens, nothing else (no Python format syntax, which let a
pattern such as `{seq.__class__}` or `{seq:>100}` be saved and then break every finalize):

| token       | becomes                                                        |
|-------------|----------------------------------------------------------------|
| `{YYYY}`    | the year of issue, 2026                                        |
| `{YY}`      | its last two digits, 26                                        |
| `{MM}`      | the month of issue, 01 … 12                                    |
| `{seq}`     | the counter, 1, 2, 3 …                                          |
| `{seq:0N}`  | the counter padded with zeros to N digits (N from 1 to 10)     |

Exactly one counter token. Plain text is letters, digits, space and `- _ . / #`.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_LENGTH = 60  # Invoice.number
MAX_PADDING = 10
# A counter never has more digits than this (NumberSequence.last_number is a 32-bit integer).
MAX_COUNTER_DIGITS = 10
PLAIN_TEXT = re.compile(r"[A-Za-z0-9 ._/#-]*")
TOKEN = re.compile(r"\{(YYYY|YY|MM|seq(?::0(\d+))?)\}")
HELP = gettext_lazy(
    "Tokens: {YYYY} {YY} {MM} {seq} or {seq:05}; around them letters, digits and - _ . / #"
)


@dataclass(frozen=True)
class Digits:
    """A run of digits a token fills in: at least `least`, at most `most` (None: any)."""

    least: int
    most: int | None


def parse(pattern: str) -> list[str | Digits]:
    """The pattern as plain characters and digit runs; ValidationError if it is not one."""
    parts: list[str | Digits] = []
    counters = 0
    position = 0
    for token in TOKEN.finditer(pattern):
        parts += _plain(pattern[position : token.start()])
        name, padding = token.group(1), token.group(2)
        if name.startswith("seq"):
            counters += 1
            width = int(padding) if padding is not None else 1
            if not 1 <= width <= MAX_PADDING:
                raise ValidationError(
                    _(
                        "{{{name}}}: the counter can be padded to 1 to {count} digits, "
                        "e.g. {{seq:05}}."
                    ).format(name=name, count=MAX_PADDING)
                )
            parts.append(Digits(width, None))
        else:
            parts.append(Digits(len(name), len(name)))  # YYYY, YY and MM: as many digits
        position = token.end()
    parts += _plain(pattern[position:])
    if counters != 1:
        raise ValidationError(
            _("The pattern needs the counter {seq} (or {seq:05} to pad it), once.")
            if counters == 0
            else _("The pattern can have the counter only once.")
        )
    return parts


def _plain(text: str) -> list[str]:
    if not PLAIN_TEXT.fullmatch(text):
        if brace := re.search(r"[{}][^{}]*\}?", text):
            raise ValidationError(
                _("“{text}” is not a token. {help}.").format(text=brace.group(), help=HELP)
            )
        wrong = " ".join(sorted({c for c in text if not PLAIN_TEXT.fullmatch(c)}))
        raise ValidationError(
            _("A number cannot contain {characters}. {help}.").format(characters=wrong, help=HELP)
        )
    return list(text)


def longest(pattern: str) -> int:
    """The most characters the pattern can fill in."""
    return sum(
        1 if isinstance(part, str) else (part.most or max(part.least, MAX_COUNTER_DIGITS))
        for part in parse(pattern)
    )


def validate_number_pattern(pattern: str) -> None:
    parse(pattern)
    if longest(pattern) > MAX_LENGTH:
        raise ValidationError(
            _(
                "Numbers from this pattern can be up to {length} characters long; "
                "a number has at most {most}."
            ).format(length=longest(pattern), most=MAX_LENGTH)
        )


def format_document_number(pattern: str, counter: int, issued_on: date) -> str:
    """Fill a (valid) number pattern for one document."""
    parse(pattern)  # refuse what validation would refuse: never a Python format string

    def fill(token: re.Match) -> str:
        name, padding = token.group(1), token.group(2)
        if name == "YYYY":
            return f"{issued_on:%Y}"
        if name == "YY":
            return f"{issued_on:%y}"
        if name == "MM":
            return f"{issued_on:%m}"
        return str(counter).zfill(int(padding) if padding else 1)

    return TOKEN.sub(fill, pattern)


def can_collide(first: str, second: str) -> bool:
    """Whether the two patterns can ever produce the same number, for any counters and
    dates: their languages intersect. Each is a sequence of plain characters and digit
    runs; the search walks both at once, character by character, over the states
    (part, digits taken in it) of each."""
    a, b = parse(first), parse(second)
    start = (_closure(a, (0, 0)), _closure(b, (0, 0)))
    seen, todo = set(), [start]
    while todo:
        states_a, states_b = todo.pop()
        if (len(a), 0) in states_a and (len(b), 0) in states_b:
            return True
        for char in _next_chars(a, states_a) & _next_chars(b, states_b):
            following = (_step(a, states_a, char), _step(b, states_b, char))
            if following[0] and following[1] and following not in seen:
                seen.add(following)
                todo.append(following)
    return False


DIGITS = frozenset("0123456789")


def _closure(parts, state) -> frozenset:
    """The state and those reached from it without a character: past a digit run that has
    its least digits."""
    states, todo = set(), [state]
    while todo:
        index, taken = todo.pop()
        if (index, taken) in states:
            continue
        states.add((index, taken))
        part = parts[index] if index < len(parts) else None
        if isinstance(part, Digits) and taken >= part.least:
            todo.append((index + 1, 0))
    return frozenset(states)


def _next_chars(parts, states) -> set[str]:
    chars = set()
    for index, _state in states:
        if index < len(parts):
            part = parts[index]
            chars |= DIGITS if isinstance(part, Digits) else {part}
    return chars


def _step(parts, states, char) -> frozenset:
    following = set()
    for index, taken in states:
        if index >= len(parts):
            continue
        part = parts[index]
        if isinstance(part, Digits):
            if char in DIGITS and (part.most is None or taken < part.most):
                # An open-ended run counts no further than its least digits: more of them
                # lead to the same states.
                following |= _closure(parts, (index, min(taken + 1, part.least)))
        elif part == char:
            following |= _closure(parts, (index + 1, 0))
    return frozenset(following)
