from django.db import migrations, models


class Migration(migrations.Migration):
    """Email dispatches become dispatches through a channel (email, portal, Peppol)."""

    dependencies = [
        ("invoicing", "0026_language"),
    ]

    operations = [
        migrations.RenameModel("EmailDispatch", "Dispatch"),
        migrations.AddField(
            model_name="dispatch",
            name="channel",
            field=models.CharField(
                choices=[("email", "Email"), ("portal", "Partner portal"), ("peppol", "Peppol")],
                default="email",
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AlterField(
            model_name="dispatch",
            name="to",
            field=models.CharField(max_length=254, verbose_name="recipient"),
        ),
        migrations.AddField(
            model_name="dispatch",
            name="external_id",
            field=models.CharField(blank=True, db_index=True, max_length=100),
        ),
        migrations.AddField(
            model_name="dispatch",
            name="delivered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='dispatch',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('rejected', 'Rejected'), ('failed', 'Failed')], default='queued', max_length=10),
        ),
        migrations.AlterField(
            model_name='invoiceevent',
            name='kind',
            field=models.CharField(choices=[('generated', 'Generated'), ('credit_added', 'Credit added'), ('credit_removed', 'Credit removed'), ('line_added', 'Line added'), ('notes_changed', 'Notes changed'), ('exchange_rate_entered', 'Exchange rate entered'), ('allowance_changed', 'Allowance changed'), ('finalized', 'Finalized'), ('downloaded', 'Downloaded'), ('emailed', 'Emailed'), ('peppol', 'Peppol'), ('portal', 'Published in the portal'), ('payment_recorded', 'Payment recorded'), ('marked_paid', 'Marked paid'), ('marked_unpaid', 'Marked unpaid'), ('became_overdue', 'Became overdue'), ('delivery_cancelled', 'Delivery cancelled'), ('credit_note_issued', 'Credit note issued'), ('voided', 'Voided')], max_length=30),
        ),
    ]
