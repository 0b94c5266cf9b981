"""PostgreSQL itself refuses changes to finalized invoices (GoBD: records stay as issued).

- A finalized or voided invoice keeps its number, parties, amounts, tax and text; only the
  payment fields (amount_paid, paid_at, is_overdue) change, and `final` may become `void`
  once, with its void fields. It can never be deleted.
- Its lines can be neither added, changed nor deleted.
- A stored document (PDF, XML) is written once: no update, no delete.
- Events of the audit trail are never changed.
- `DistributionTransaction.credit_note_id` becomes a foreign key, like invoice_id.

SQLite (the local demo) goes without; the services refuse the same changes.
"""

from django.db import migrations

INVOICE_CONTENT = (
    "entity_id, partner_id, kind, corrects_id, period_start, period_end, currency, number, "
    "issue_date, due_date, seller, buyer, tax_category, tax_rate, tax_note, "
    "tax_exemption_reason, tax_exemption_code, einvoice_format, subtotal, tax_amount, total, "
    "notes, created_at, finalized_at"
)


def protect_invoice_function(content: str) -> str:
    """The trigger function that keeps the `content` columns of a finalized invoice as they
    are (a later migration replaces it when columns are added)."""
    new_content = ", ".join("NEW." + c.strip() for c in content.split(","))
    old_content = ", ".join("OLD." + c.strip() for c in content.split(","))
    return f"""
CREATE OR REPLACE FUNCTION invoicing_protect_invoice() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is a finalized record and cannot be deleted', OLD.number
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status
       AND NOT (OLD.status = 'final' AND NEW.status = 'void') THEN
        RAISE EXCEPTION 'invoice % is finalized: its status can only become void', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF ROW({new_content}) IS DISTINCT FROM ROW({old_content}) THEN
        RAISE EXCEPTION 'invoice % is finalized: only its payment may change', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status = 'void' AND ROW(NEW.voided_at, NEW.void_reason)
       IS DISTINCT FROM ROW(OLD.voided_at, OLD.void_reason) THEN
        RAISE EXCEPTION 'invoice % is void', OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
"""


FORWARD = (
    protect_invoice_function(INVOICE_CONTENT)
    + """
CREATE TRIGGER invoicing_protect_invoice BEFORE UPDATE OR DELETE ON invoicing_invoice
FOR EACH ROW EXECUTE FUNCTION invoicing_protect_invoice();

CREATE FUNCTION invoicing_protect_line() RETURNS trigger AS $$
DECLARE
    parent_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO parent_status FROM invoicing_invoice WHERE id = OLD.invoice_id;
        IF parent_status IS NOT NULL AND parent_status <> 'draft' THEN
            RAISE EXCEPTION 'the lines of a finalized invoice cannot change'
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO parent_status FROM invoicing_invoice WHERE id = NEW.invoice_id;
        IF parent_status IS NOT NULL AND parent_status <> 'draft' THEN
            RAISE EXCEPTION 'lines cannot be added to a finalized invoice'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_protect_line BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoiceline
FOR EACH ROW EXECUTE FUNCTION invoicing_protect_line();

CREATE FUNCTION invoicing_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are written once and never changed', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_protect_document BEFORE UPDATE OR DELETE ON invoicing_invoicedocument
FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();

CREATE TRIGGER invoicing_protect_event BEFORE UPDATE ON invoicing_invoiceevent
FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();

ALTER TABLE distribution_distributiontransaction
ADD CONSTRAINT distribution_txn_credit_note_fk FOREIGN KEY (credit_note_id)
REFERENCES invoicing_invoice (id) DEFERRABLE INITIALLY DEFERRED;
"""
)

BACKWARD = """
ALTER TABLE distribution_distributiontransaction DROP CONSTRAINT distribution_txn_credit_note_fk;
DROP TRIGGER invoicing_protect_event ON invoicing_invoiceevent;
DROP TRIGGER invoicing_protect_document ON invoicing_invoicedocument;
DROP FUNCTION invoicing_refuse_change();
DROP TRIGGER invoicing_protect_line ON invoicing_invoiceline;
DROP FUNCTION invoicing_protect_line();
DROP TRIGGER invoicing_protect_invoice ON invoicing_invoice;
DROP FUNCTION invoicing_protect_invoice();
"""


def run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: several statements at once

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0004_corrections_payments_events"),
        ("distribution", "0003_credit_note_id"),
    ]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
