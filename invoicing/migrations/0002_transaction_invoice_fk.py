"""Make `DistributionTransaction.invoice_id` a real foreign key on PostgreSQL.

The column belongs to the distribution app, which must not depend on invoicing; the
constraint is added here, on the side that knows both tables. SQLite (the local demo) cannot
add a constraint to an existing table and goes without.
"""

from django.db import migrations

ADD = """
ALTER TABLE distribution_distributiontransaction
ADD CONSTRAINT distribution_txn_invoice_fk FOREIGN KEY (invoice_id)
REFERENCES invoicing_invoice (id) DEFERRABLE INITIALLY DEFERRED
"""
DROP = "ALTER TABLE distribution_distributiontransaction DROP CONSTRAINT distribution_txn_invoice_fk"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0001_initial"),
        ("distribution", "0002_initial"),
    ]

    operations = [migrations.RunPython(add_constraint, drop_constraint)]
