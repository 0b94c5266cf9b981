"""Searching invoices by part of their number uses a trigram index on PostgreSQL.

Django's `number__icontains` becomes `UPPER(number::text) LIKE UPPER('%…%')`, which no
B-tree can serve: over 100,000 invoices it was a 35 ms scan, twice per page (the rows and
the totals). pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may
create it. SQLite (the local demo) goes without.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX invoice_number_search ON invoicing_invoice "
    "USING gin (UPPER(number::text) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS invoice_number_search"]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0010_self_billing_and_numbering")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
