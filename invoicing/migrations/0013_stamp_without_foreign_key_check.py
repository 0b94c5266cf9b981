"""Deliveries go onto their invoice without a foreign-key check per delivery.

Generating a month's drafts stamps a million deliveries with their invoice, and PostgreSQL
checked `invoice_id`'s foreign key for each of them at commit, one lookup per row: 9 of the
21 seconds a month took on the benchmark machine. The reference stays sound without it:

- only `billing._stamp` sets `invoice_id`, and only to drafts it has just locked;
- the trigger below refuses to delete an invoice that deliveries are still on
  (`delete_draft` and `cancel_delivery` release them first), so none is left dangling.

Its lookup goes through the index txn_by_partner_date: a stamped delivery is of the
invoice's partner and lies within its period (a day either side covers any time zone).
SQLite (the local demo) had no such constraint and gets no trigger.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE distribution_distributiontransaction DROP CONSTRAINT distribution_txn_invoice_fk;

CREATE FUNCTION invoicing_keep_billed_deliveries() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM distribution_distributiontransaction
        WHERE partner_id = OLD.partner_id
          AND delivered_at >= OLD.period_start - 1
          AND delivered_at < OLD.period_end + 2
          AND invoice_id = OLD.id
    ) THEN
        RAISE EXCEPTION 'invoice % still bills deliveries: release them before deleting it', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$ LANGUAGE plpgsql;

-- Named to fire after invoicing_protect_invoice (triggers fire in name order), whose
-- message says why a finalized invoice is never deleted.
CREATE TRIGGER invoicing_require_released_deliveries BEFORE DELETE ON invoicing_invoice
FOR EACH ROW EXECUTE FUNCTION invoicing_keep_billed_deliveries();
"""

BACKWARD = """
DROP TRIGGER invoicing_require_released_deliveries ON invoicing_invoice;
DROP FUNCTION invoicing_keep_billed_deliveries();
ALTER TABLE distribution_distributiontransaction
ADD CONSTRAINT distribution_txn_invoice_fk FOREIGN KEY (invoice_id)
REFERENCES invoicing_invoice (id) DEFERRABLE INITIALLY DEFERRED;
"""


def run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the % of RAISE stay as they are

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0012_invoice_totals_self_billed"),
        ("distribution", "0006_hot_invoice_stamps"),
    ]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
