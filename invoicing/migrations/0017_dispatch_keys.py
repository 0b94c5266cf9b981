"""Each email dispatch gets an idempotency key (its Message-ID) and the time of its last
attempt, which the sweep of stuck dispatches reads."""

import uuid

from django.db import migrations, models


def fill_keys(apps, schema_editor):
    dispatches = apps.get_model("invoicing", "EmailDispatch").objects.using(
        schema_editor.connection.alias
    )
    for dispatch in dispatches.filter(key__isnull=True).only("pk").iterator():
        dispatches.filter(pk=dispatch.pk).update(key=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0016_template_versions")]

    operations = [
        migrations.AddField(
            model_name="emaildispatch",
            name="key",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="emaildispatch",
            name="key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name="emaildispatch",
            name="last_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
