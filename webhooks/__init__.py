"""Webhooks: the Entity's own systems hear of invoices, payments, cancellations and return
decisions as they happen, as signed JSON posts to the endpoints the operator registers.

Apps that have news call `webhooks.events.publish`; this app depends on `entities` only."""
