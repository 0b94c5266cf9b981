"""Warnings about an Entity's settings that only other apps can work out (the invoicing
app knows when a billing day is too late for reverse-charge invoices). They register a
check at start-up (see invoicing/apps.py); this app never imports them."""

from collections.abc import Callable

_checks: list[Callable] = []


def register(check: Callable) -> None:
    """`check(entity)` returns a warning for the Settings page, or ''."""
    if check not in _checks:
        _checks.append(check)


def settings_warnings(entity) -> list[str]:
    return [warning for check in _checks if (warning := check(entity))]
