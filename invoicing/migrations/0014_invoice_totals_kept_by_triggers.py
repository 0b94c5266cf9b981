"""Totals of the invoice list, kept by PostgreSQL as invoices change (see InvoiceTotal).

Statement-level triggers with transition tables: one INSERT … SELECT per statement, grouped,
whatever the number of invoices it wrote (a month's generation inserts a thousand drafts in
one statement). The payment state is the one the list filters by (InvoiceQuerySet). SQLite
(the local demo) has no such triggers; there the list adds up its invoices directly.
"""

import django.db.models.deletion
from django.db import migrations, models


STATE = """
CASE WHEN {t}.status = 'draft' THEN 'draft'
     WHEN {t}.status = 'void' THEN 'void'
     WHEN {t}.paid_at IS NOT NULL THEN 'paid'
     WHEN {t}.is_overdue THEN 'overdue'
     ELSE 'open' END
"""


def changes(table: str, sign: str) -> str:
    return (
        f"SELECT entity_id, self_billed, currency, kind, {STATE.format(t=table)} AS state, "
        f"{sign}1 AS count, {sign}total AS total, {sign}amount_paid AS amount_paid FROM {table}"
    )


def add_up(source: str) -> str:
    return f"""
    INSERT INTO invoicing_invoicetotal
        (entity_id, self_billed, currency, kind, state, count, total, amount_paid)
    SELECT entity_id, self_billed, currency, kind, state, SUM(count), SUM(total), SUM(amount_paid)
    FROM ({source}) AS change
    GROUP BY entity_id, self_billed, currency, kind, state
    HAVING SUM(count) <> 0 OR SUM(total) <> 0 OR SUM(amount_paid) <> 0;"""


FORWARD = f"""
CREATE FUNCTION invoicing_add_up_invoices() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {add_up(changes("new_rows", ""))}
    ELSIF TG_OP = 'UPDATE' THEN
        {add_up(changes("new_rows", "") + " UNION ALL " + changes("old_rows", "-"))}
    ELSE
        {add_up(changes("old_rows", "-"))}
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_totals_on_insert AFTER INSERT ON invoicing_invoice
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION invoicing_add_up_invoices();
CREATE TRIGGER invoicing_totals_on_update AFTER UPDATE ON invoicing_invoice
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION invoicing_add_up_invoices();
CREATE TRIGGER invoicing_totals_on_delete AFTER DELETE ON invoicing_invoice
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION invoicing_add_up_invoices();

{add_up(changes("invoicing_invoice", ""))}
"""

BACKWARD = """
DROP TRIGGER invoicing_totals_on_delete ON invoicing_invoice;
DROP TRIGGER invoicing_totals_on_update ON invoicing_invoice;
DROP TRIGGER invoicing_totals_on_insert ON invoicing_invoice;
DROP FUNCTION invoicing_add_up_invoices();
"""


def run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: several statements at once

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("entities", "0007_numbering_templates_self_billing_terms"),
        ("invoicing", "0013_stamp_without_foreign_key_check"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("self_billed", models.BooleanField()),
                ("currency", models.CharField(max_length=3)),
                ("kind", models.CharField(max_length=20)),
                ("state", models.CharField(max_length=10)),
                ("count", models.BigIntegerField()),
                ("total", models.DecimalField(decimal_places=2, max_digits=18)),
                ("amount_paid", models.DecimalField(decimal_places=2, max_digits=18)),
                (
                    "entity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        db_constraint=False,
                        to="entities.entity",
                    ),
                ),
            ],
        ),
        migrations.RunPython(run(FORWARD), run(BACKWARD)),
    ]
