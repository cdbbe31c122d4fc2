from django.db import migrations, models
from django.db.models import F

# Newest first, read from an index rather than sorted: the timeline takes each kind's latest
# rows in (date, newest row) order (selectors/timeline.py), and the tables list meetings,
# commitments and milestones by (date, title). Undated records come last (NULLS LAST), which
# SQLite cannot index, so these exist on PostgreSQL only and stay out of the models' state.
NEWEST = F("date").desc(nulls_last=True)
NEWEST_FIRST_INDEXES = {
    "meeting": [
        models.Index(NEWEST, F("id").desc(), name="meeting_timeline_idx"),
        models.Index(NEWEST, F("title"), name="meeting_listed_idx"),
    ],
    "commitment": [
        models.Index(NEWEST, F("id").desc(), name="commitment_timeline_idx"),
        models.Index(NEWEST, F("title"), name="commitment_listed_idx"),
    ],
    "commitmentupdate": [
        models.Index(NEWEST, F("id").desc(), name="commitmentupdate_timeline_idx"),
    ],
    "milestone": [
        models.Index(NEWEST, F("id").desc(), name="milestone_timeline_idx"),
        models.Index(NEWEST, F("title"), name="milestone_listed_idx"),
    ],
    "complaintcount": [
        models.Index(F("period_start").desc(), F("id").desc(), name="complaint_timeline_idx"),
    ],
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, indexes in NEWEST_FIRST_INDEXES.items():
        model = apps.get_model("cooperation", model_name)
        for index in indexes:
            schema_editor.add_index(model, index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, indexes in NEWEST_FIRST_INDEXES.items():
        model = apps.get_model("cooperation", model_name)
        for index in indexes:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0011_data_version"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
