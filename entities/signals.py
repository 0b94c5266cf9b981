"""Signals for apps that build on entities (which imports none of them)."""

from django.dispatch import Signal

# An Entity's self-billing terms have a new version: every supplier has to accept it again.
# Sent with `entity`.
self_billing_terms_changed = Signal()
