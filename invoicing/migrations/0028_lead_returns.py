"""Billing runs that wait for the return window, and the records of returned supply.

A lead a buyer returned and the policy passed back to its supplier is credited by a
self-billed credit note of its payout (distribution.Lead.payout_credit_note_id). As with a
delivery's credit note (migration 0015): it is set only to a draft credit note of the lead's
own payout, and stays once that credit note is final. SQLite goes without; the service
(payouts.return_supplied_leads) keeps to the same rule."""

from django.db import migrations, models

FORWARD = """
ALTER TABLE distribution_lead
ADD CONSTRAINT distribution_lead_payout_credit_note_fk FOREIGN KEY (payout_credit_note_id)
REFERENCES invoicing_invoice (id) DEFERRABLE INITIALLY DEFERRED;

CREATE FUNCTION invoicing_protect_returned_supply() RETURNS trigger AS $$
BEGIN
    IF OLD.payout_credit_note_id IS NOT NULL
       AND invoicing_invoice_status(OLD.payout_credit_note_id) IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'lead % is credited by finalized credit note %', OLD.external_id,
            OLD.payout_credit_note_id USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.payout_credit_note_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM invoicing_invoice
        WHERE id = NEW.payout_credit_note_id AND status = 'draft' AND kind = 'credit_note'
          AND corrects_id = NEW.payout_invoice_id
    ) THEN
        RAISE EXCEPTION 'lead % can only go onto a draft credit note of its payout',
            OLD.external_id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_protect_returned_supply BEFORE UPDATE ON distribution_lead
FOR EACH ROW WHEN (
    NEW.payout_credit_note_id IS DISTINCT FROM OLD.payout_credit_note_id
    OR (OLD.payout_credit_note_id IS NOT NULL
        AND NEW.supply_returned_at IS DISTINCT FROM OLD.supply_returned_at)
)
EXECUTE FUNCTION invoicing_protect_returned_supply();
"""

BACKWARD = """
DROP TRIGGER invoicing_protect_returned_supply ON distribution_lead;
DROP FUNCTION invoicing_protect_returned_supply();
ALTER TABLE distribution_lead DROP CONSTRAINT distribution_lead_payout_credit_note_fk;
"""


def run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return operation


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0027_dispatch_channels'),
        ('distribution', '0010_lead_returns'),
    ]

    operations = [
        migrations.AddField(
            model_name='billingrun',
            name='finalize_after',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='billingrun',
            name='status',
            field=models.CharField(choices=[('pending', 'Waiting'), ('running', 'Running'), ('returns', 'Drafts ready, waiting for returns'), ('done', 'Done'), ('failed', 'Failed')], default='pending', max_length=10),
        ),
        migrations.RunPython(run(FORWARD), run(BACKWARD)),
    ]
