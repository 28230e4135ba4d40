from django.db import migrations

# A copy, not an import: a migration keeps the stages it shipped whatever the code becomes.
# name, outcome, probability, forecast category
STAGES = [
    ("Qualification", "open", 10, "pipeline"),
    ("Discovery", "open", 25, "pipeline"),
    ("Proposal", "open", 50, "pipeline"),
    ("Negotiation", "open", 75, "best_case"),
    ("Commit", "open", 90, "commit"),
    ("Closed won", "won", 100, "commit"),
    ("Closed lost", "lost", 0, "omitted"),
]


def ship(apps, schema_editor):
    stage_model = apps.get_model("revenue", "PipelineStage")
    if stage_model.objects.exists():
        return
    for position, (name, outcome, probability, category) in enumerate(STAGES, start=1):
        stage_model.objects.create(
            name=name,
            position=position,
            outcome=outcome,
            probability=probability,
            forecast_category=category,
        )


class Migration(migrations.Migration):
    dependencies = [("revenue", "0001_initial")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
