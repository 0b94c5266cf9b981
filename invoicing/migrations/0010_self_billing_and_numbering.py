"""Self-billed invoices and numbers per kind of document (and year).

On PostgreSQL also: `Lead.payout_invoice_id` becomes a foreign key (as in 0002, the invoicing
side adds it), and the finalized-invoice trigger of 0005 covers the new `self_billed` column.
"""

import importlib

from django.conf import settings
from django.db import migrations, models

immutable = importlib.import_module("invoicing.migrations.0005_immutable_records")

ADD_LEAD_FK = """
ALTER TABLE distribution_lead
ADD CONSTRAINT distribution_lead_payout_invoice_fk FOREIGN KEY (payout_invoice_id)
REFERENCES invoicing_invoice (id) DEFERRABLE INITIALLY DEFERRED
"""
DROP_LEAD_FK = "ALTER TABLE distribution_lead DROP CONSTRAINT distribution_lead_payout_invoice_fk"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD_LEAD_FK)
        schema_editor.execute(
            immutable.protect_invoice_function(immutable.INVOICE_CONTENT + ", self_billed"),
            params=None,  # the function's '%' are not placeholders
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_LEAD_FK)
        schema_editor.execute(
            immutable.protect_invoice_function(immutable.INVOICE_CONTENT), params=None
        )


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0009_invoice_list_indexes"),
        ("distribution", "0005_lead_supplier"),
        ("entities", "0007_numbering_templates_self_billing_terms"),
        ("partners", "0007_suppliers_and_agreements"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="invoice",
            name="unique_number_per_entity_and_kind",
        ),
        migrations.RemoveConstraint(
            model_name="invoice",
            name="one_draft_per_partner_period_currency",
        ),
        migrations.RemoveConstraint(
            model_name="numbersequence",
            name="one_sequence_per_kind",
        ),
        migrations.AddField(
            model_name="invoice",
            name="self_billed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="numbersequence",
            name="year",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="invoiceevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("generated", "Generated"),
                    ("credit_added", "Credit added"),
                    ("credit_removed", "Credit removed"),
                    ("line_added", "Line added"),
                    ("notes_changed", "Notes changed"),
                    ("finalized", "Finalized"),
                    ("downloaded", "Downloaded"),
                    ("emailed", "Emailed"),
                    ("payment_recorded", "Payment recorded"),
                    ("marked_paid", "Marked paid"),
                    ("marked_unpaid", "Marked unpaid"),
                    ("became_overdue", "Became overdue"),
                    ("delivery_cancelled", "Delivery cancelled"),
                    ("credit_note_issued", "Credit note issued"),
                    ("voided", "Voided"),
                ],
                max_length=30,
            ),
        ),
        migrations.AlterField(
            model_name="invoiceline",
            name="kind",
            field=models.CharField(
                choices=[
                    ("deliveries", "Deliveries"),
                    ("credit", "Manual credit"),
                    ("supplied", "Supplied leads"),
                    ("payout", "Manual payout"),
                ],
                default="deliveries",
                max_length=12,
            ),
        ),
        migrations.AlterField(
            model_name="numbersequence",
            name="kind",
            field=models.CharField(max_length=30),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("number", ""), _negated=True),
                fields=("entity", "kind", "self_billed", "number"),
                name="unique_number_per_entity_and_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "invoice"), ("status", "draft")),
                fields=(
                    "entity",
                    "partner",
                    "self_billed",
                    "currency",
                    "period_start",
                    "period_end",
                ),
                name="one_draft_per_partner_period_currency",
            ),
        ),
        migrations.AddConstraint(
            model_name="numbersequence",
            constraint=models.UniqueConstraint(
                fields=("entity", "kind", "year"), name="one_sequence_per_kind_and_year"
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
