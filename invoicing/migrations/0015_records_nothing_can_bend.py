"""PostgreSQL refuses every change to a finalized record, by any path (DESIGN.md, invariant 9).

Migration 0005 froze a finalized invoice's content and its lines; these were still open:
renaming a finalized invoice's id (its lines then had no parent, which the line trigger let
through), deleting audit events, deleting payments, and releasing a finalized invoice's
deliveries with a plain UPDATE. Now:

- A finalized or void invoice: every column is frozen but the payment fields
  (amount_paid, paid_at, is_overdue) of a `final` one. `final` becomes `void` once, with
  when and why, and only when finalized credit notes credit all of it (the void service
  finalizes its full credit note first). Its id never changes; it is never deleted.
- Lines: inserted, changed and deleted only while their invoice exists and is a draft.
- Documents: inserted only for an existing finalized invoice; never changed or deleted.
- Events: never changed; deleted only with the draft they belong to.
- Payments: inserted only for a finalized invoice; never changed or deleted (taking a
  payment back records a reversal).
- Deliveries on a finalized invoice keep their invoice, price, partner, lead and time; they
  leave it only when it is void (the void service releases them), and are never deleted.
  A delivery's credit note is set only to a draft credit note of its own invoice, and stays
  once that credit note is final. Supplied leads on a finalized payout likewise.
- Number sequences only ever count up, and one that has issued a number is never deleted.

The delivery triggers fire only on the rows the WHEN clause picks (a billed delivery whose
invoice, price, … or credit note changes). Stamping a month of deliveries onto drafts
changes invoice_id from NULL, which the clause passes over in C without calling PL/pgSQL:
the stamping UPDATE of a million rows stays as fast as it was (measured with `make bench`).

SQLite (the local demo) goes without; the services refuse the same changes.
"""

from django.conf import settings
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION invoicing_invoice_status(invoice_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT status FROM invoicing_invoice WHERE id = invoice_id $$;

CREATE OR REPLACE FUNCTION invoicing_protect_invoice() RETURNS trigger AS $$
DECLARE
    credited numeric;
    credit_notes integer;
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
    -- Every column but the payment and void fields, whatever columns the table gains.
    IF to_jsonb(NEW) - ARRAY['amount_paid', 'paid_at', 'is_overdue', 'status', 'voided_at',
                             'void_reason']
       IS DISTINCT FROM to_jsonb(OLD) - ARRAY['amount_paid', 'paid_at', 'is_overdue', 'status',
                                               'voided_at', 'void_reason'] THEN
        RAISE EXCEPTION 'invoice % is finalized: only its payment may change', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status = 'void' THEN
        IF ROW(NEW.status, NEW.amount_paid, NEW.paid_at, NEW.is_overdue, NEW.voided_at,
               NEW.void_reason)
           IS DISTINCT FROM ROW(OLD.status, OLD.amount_paid, OLD.paid_at, OLD.is_overdue,
                                OLD.voided_at, OLD.void_reason) THEN
            RAISE EXCEPTION 'invoice % is void and cannot change', OLD.number
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status = 'final' THEN
        IF ROW(NEW.voided_at, NEW.void_reason) IS DISTINCT FROM ROW(OLD.voided_at,
                                                                    OLD.void_reason) THEN
            RAISE EXCEPTION 'invoice % is finalized and not void: it has no void fields',
                OLD.number USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status <> 'void' THEN
        RAISE EXCEPTION 'invoice % is finalized: its status can only become void', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.voided_at IS NULL OR NEW.void_reason = ''
       OR ROW(NEW.amount_paid, NEW.paid_at, NEW.is_overdue)
          IS DISTINCT FROM ROW(OLD.amount_paid, OLD.paid_at, OLD.is_overdue) THEN
        RAISE EXCEPTION 'invoice %: voiding records when and why, and nothing else', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    SELECT COALESCE(SUM(subtotal), 0), COUNT(*) INTO credited, credit_notes
    FROM invoicing_invoice
    WHERE corrects_id = OLD.id AND kind = 'credit_note' AND status = 'final';
    IF credit_notes = 0 OR credited < OLD.subtotal THEN
        RAISE EXCEPTION 'invoice % cannot be voided without a finalized credit note for all of it',
            OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION invoicing_protect_line() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE')
       AND invoicing_invoice_status(OLD.invoice_id) IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'the lines of a finalized invoice cannot change'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE')
       AND invoicing_invoice_status(NEW.invoice_id) IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'lines cannot be added to invoice %: it is finalized or missing', NEW.invoice_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION invoicing_protect_document() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'invoicing_invoicedocument rows are written once and never changed'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF invoicing_invoice_status(NEW.invoice_id) IS NULL
       OR invoicing_invoice_status(NEW.invoice_id) = 'draft' THEN
        RAISE EXCEPTION 'documents are stored for finalized invoices only, not for %',
            NEW.invoice_id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

DROP TRIGGER invoicing_protect_document ON invoicing_invoicedocument;
CREATE TRIGGER invoicing_protect_document
BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoicedocument
FOR EACH ROW EXECUTE FUNCTION invoicing_protect_document();

CREATE FUNCTION invoicing_protect_event() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND invoicing_invoice_status(OLD.invoice_id) = 'draft' THEN
        RETURN OLD;  -- deleting a draft deletes its events
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: events are never changed or deleted'
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;

DROP TRIGGER invoicing_protect_event ON invoicing_invoiceevent;
CREATE TRIGGER invoicing_protect_event BEFORE UPDATE OR DELETE ON invoicing_invoiceevent
FOR EACH ROW EXECUTE FUNCTION invoicing_protect_event();

CREATE FUNCTION invoicing_protect_payment() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'payments are records: record a reversal instead of changing one'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF invoicing_invoice_status(NEW.invoice_id) IS DISTINCT FROM 'final' THEN
        RAISE EXCEPTION 'payments are recorded for finalized, valid invoices only'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_protect_payment BEFORE INSERT OR UPDATE OR DELETE ON invoicing_payment
FOR EACH ROW EXECUTE FUNCTION invoicing_protect_payment();

CREATE FUNCTION invoicing_protect_billed_delivery() RETURNS trigger AS $$
DECLARE
    invoice_status text := invoicing_invoice_status(OLD.invoice_id);
    credit_note_status text := invoicing_invoice_status(OLD.credit_note_id);
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF invoice_status IN ('final', 'void') OR credit_note_status IN ('final', 'void') THEN
            RAISE EXCEPTION 'delivery % is on finalized invoice % and cannot be deleted',
                OLD.id, OLD.invoice_id USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF invoice_status = 'final' AND ROW(NEW.invoice_id, NEW.price, NEW.currency,
            NEW.partner_id, NEW.assignment_id, NEW.lead_id, NEW.entity_id, NEW.delivered_at)
       IS DISTINCT FROM ROW(OLD.invoice_id, OLD.price, OLD.currency, OLD.partner_id,
            OLD.assignment_id, OLD.lead_id, OLD.entity_id, OLD.delivered_at) THEN
        RAISE EXCEPTION 'delivery % is on finalized invoice %: it stays as billed (void the invoice '
            'to release its deliveries)', OLD.id, OLD.invoice_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.invoice_id IS NOT NULL AND NEW.invoice_id IS DISTINCT FROM OLD.invoice_id
       AND invoicing_invoice_status(NEW.invoice_id) IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'deliveries go onto drafts only, not onto invoice %', NEW.invoice_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.credit_note_id IS DISTINCT FROM OLD.credit_note_id THEN
        IF OLD.credit_note_id IS NOT NULL AND credit_note_status IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'delivery % is credited by finalized credit note %', OLD.id,
                OLD.credit_note_id USING ERRCODE = 'restrict_violation';
        END IF;
        IF NEW.credit_note_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM invoicing_invoice
            WHERE id = NEW.credit_note_id AND status = 'draft' AND kind = 'credit_note'
              AND corrects_id = NEW.invoice_id
        ) THEN
            RAISE EXCEPTION 'delivery % can only go onto a draft credit note of its invoice',
                OLD.id USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_protect_billed_delivery
BEFORE UPDATE ON distribution_distributiontransaction FOR EACH ROW
WHEN (
    (OLD.invoice_id IS NOT NULL AND ROW(NEW.invoice_id, NEW.price, NEW.currency, NEW.partner_id,
        NEW.assignment_id, NEW.lead_id, NEW.entity_id, NEW.delivered_at)
     IS DISTINCT FROM ROW(OLD.invoice_id, OLD.price, OLD.currency, OLD.partner_id,
        OLD.assignment_id, OLD.lead_id, OLD.entity_id, OLD.delivered_at))
    OR NEW.credit_note_id IS DISTINCT FROM OLD.credit_note_id
)
EXECUTE FUNCTION invoicing_protect_billed_delivery();

CREATE TRIGGER invoicing_protect_billed_delivery_delete
BEFORE DELETE ON distribution_distributiontransaction FOR EACH ROW
WHEN (OLD.invoice_id IS NOT NULL OR OLD.credit_note_id IS NOT NULL)
EXECUTE FUNCTION invoicing_protect_billed_delivery();

CREATE FUNCTION invoicing_protect_paid_out_lead() RETURNS trigger AS $$
DECLARE
    payout_status text := invoicing_invoice_status(OLD.payout_invoice_id);
BEGIN
    IF payout_status = 'final' OR (TG_OP = 'DELETE' AND payout_status = 'void') THEN
        RAISE EXCEPTION 'lead % is on finalized payout %: it stays as paid out (void the payout '
            'to release its leads)', OLD.external_id, OLD.payout_invoice_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.payout_invoice_id IS NOT NULL
       AND invoicing_invoice_status(NEW.payout_invoice_id) IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'leads go onto draft payouts only, not onto %', NEW.payout_invoice_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_protect_paid_out_lead BEFORE UPDATE ON distribution_lead FOR EACH ROW
WHEN (OLD.payout_invoice_id IS NOT NULL AND ROW(NEW.payout_invoice_id, NEW.supplier_id,
        NEW.purchase_price, NEW.purchase_currency, NEW.external_id, NEW.entity_id)
      IS DISTINCT FROM ROW(OLD.payout_invoice_id, OLD.supplier_id, OLD.purchase_price,
        OLD.purchase_currency, OLD.external_id, OLD.entity_id))
EXECUTE FUNCTION invoicing_protect_paid_out_lead();

CREATE TRIGGER invoicing_protect_paid_out_lead_delete BEFORE DELETE ON distribution_lead
FOR EACH ROW WHEN (OLD.payout_invoice_id IS NOT NULL)
EXECUTE FUNCTION invoicing_protect_paid_out_lead();

CREATE FUNCTION invoicing_protect_number_sequence() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.last_number > 0 THEN
            RAISE EXCEPTION 'number sequence % has issued numbers and cannot be deleted', OLD.kind
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.last_number < OLD.last_number
       OR ROW(NEW.id, NEW.entity_id, NEW.kind, NEW.year)
          IS DISTINCT FROM ROW(OLD.id, OLD.entity_id, OLD.kind, OLD.year) THEN
        RAISE EXCEPTION 'number sequence % only counts up: an issued number never comes again',
            OLD.kind USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_protect_number_sequence
BEFORE UPDATE OR DELETE ON invoicing_numbersequence
FOR EACH ROW EXECUTE FUNCTION invoicing_protect_number_sequence();
"""

BACKWARD = """
DROP TRIGGER invoicing_protect_number_sequence ON invoicing_numbersequence;
DROP FUNCTION invoicing_protect_number_sequence();
DROP TRIGGER invoicing_protect_paid_out_lead_delete ON distribution_lead;
DROP TRIGGER invoicing_protect_paid_out_lead ON distribution_lead;
DROP FUNCTION invoicing_protect_paid_out_lead();
DROP TRIGGER invoicing_protect_billed_delivery_delete ON distribution_distributiontransaction;
DROP TRIGGER invoicing_protect_billed_delivery ON distribution_distributiontransaction;
DROP FUNCTION invoicing_protect_billed_delivery();
DROP TRIGGER invoicing_protect_payment ON invoicing_payment;
DROP FUNCTION invoicing_protect_payment();
DROP TRIGGER invoicing_protect_event ON invoicing_invoiceevent;
DROP FUNCTION invoicing_protect_event();
CREATE TRIGGER invoicing_protect_event BEFORE UPDATE ON invoicing_invoiceevent
FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();
DROP TRIGGER invoicing_protect_document ON invoicing_invoicedocument;
DROP FUNCTION invoicing_protect_document();
CREATE TRIGGER invoicing_protect_document BEFORE UPDATE OR DELETE ON invoicing_invoicedocument
FOR EACH ROW EXECUTE FUNCTION invoicing_refuse_change();
"""


def run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the % of RAISE stay as they are

    return operation


def restore_0010_functions(apps, schema_editor):
    """Going back: the invoice and line functions as migrations 0005 and 0010 left them."""
    if schema_editor.connection.vendor != "postgresql":
        return
    import importlib

    immutable = importlib.import_module("invoicing.migrations.0005_immutable_records")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            immutable.protect_invoice_function(immutable.INVOICE_CONTENT + ", self_billed")
        )
        line = immutable.FORWARD.split("CREATE FUNCTION invoicing_protect_line()")[1]
        line = line.split("CREATE TRIGGER")[0]
        cursor.execute("CREATE OR REPLACE FUNCTION invoicing_protect_line()" + line)
        cursor.execute("DROP FUNCTION invoicing_invoice_status(bigint)")


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0014_invoice_totals_kept_by_triggers"),
        ("distribution", "0008_fillfactor_for_wider_stamps"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="finalized_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="invoiceevent",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="reverses",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="reversal",
                to="invoicing.payment",
            ),
        ),
        migrations.RunPython(run(FORWARD), restore_0010_functions),
        migrations.RunPython(migrations.RunPython.noop, run(BACKWARD)),
    ]
