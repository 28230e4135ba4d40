from django.db import migrations

# A copy, not an import: a migration keeps the values it shipped with whatever the code becomes.
SHIPPED = {
    "strategic": {"check_in": 14, "business_review": 90, "executive_touch": 90},
    "key": {"check_in": 30, "business_review": 90},
    "growth": {"check_in": 30, "business_review": 180},
    "maintain": {"check_in": 60},
}


def add_defaults(apps, schema_editor):
    CadenceDefault = apps.get_model("communications", "CadenceDefault")
    if CadenceDefault.objects.exists():
        return
    CadenceDefault.objects.bulk_create(
        CadenceDefault(tier=tier, kind=kind, interval_days=days)
        for tier, kinds in SHIPPED.items()
        for kind, days in kinds.items()
    )


class Migration(migrations.Migration):
    dependencies = [("communications", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
