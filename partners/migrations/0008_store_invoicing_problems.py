"""Store the invoicing problems of partners saved before they were stored (0007), so that the
dashboard count and the partner list filter see them at once.

It calls the live check on historical models: before 0007 no partner was a supplier, so the
check reads only plain fields. A fresh installation has no partners and runs nothing here.
"""

from django.db import migrations


def store_problems(apps, schema_editor):
    from partners.checks import invoicing_details_problems

    # The connection migrate runs on: the owner's, when the application's role is another.
    partners = apps.get_model("partners", "Partner").objects.using(schema_editor.connection.alias)
    for partner in partners.filter(is_supplier=False).iterator(chunk_size=500):
        problems = invoicing_details_problems(partner, self_billing=False)
        if problems:
            partners.filter(pk=partner.pk).update(invoicing_problems=problems)


class Migration(migrations.Migration):
    dependencies = [("partners", "0007_suppliers_and_agreements")]

    operations = [migrations.RunPython(store_problems, migrations.RunPython.noop)]
