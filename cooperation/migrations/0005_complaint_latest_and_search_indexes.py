from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

# The full-text documents search.py matches against (SearchVector over these fields,
# 'english'): one GIN index each, so a search does not scan 100k meetings.
SEARCHED_FIELDS = {
    "partner": ["name", "short_name", "description"],
    "person": ["name", "role"],
    "meeting": ["title", "location", "summary", "outcome"],
    "commitment": ["title", "description"],
    "milestone": ["title", "description"],
}


def search_index(model_name, fields):
    return GinIndex(SearchVector(*fields, config="english"), name=f"{model_name}_search_idx")


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, fields in SEARCHED_FIELDS.items():
        model = apps.get_model("cooperation", model_name)
        schema_editor.add_index(model, search_index(model_name, fields))


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, fields in SEARCHED_FIELDS.items():
        model = apps.get_model("cooperation", model_name)
        schema_editor.remove_index(model, search_index(model_name, fields))


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0004_report_queued_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="complaintcount",
            index=models.Index(fields=["-period_end", "-period_start"], name="complaint_latest_idx"),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
