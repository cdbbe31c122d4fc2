"""French full-text documents and Khmer substring documents for search, indexed with GIN.

cooperation/search.py matches on these exact expressions (tests/test_search_languages.py
keeps them the same and checks the plans use them): `full_text_document(fields, "french")`
beside migration 0005's English one, and `substring_document(fields)`, upper-cased as
`icontains` compares, with pg_trgm's trigram operator class, which serves `LIKE '%word%'`
for Khmer, written without spaces between words. Sources stay unindexed, as in 0005: they
are few, and their full texts are long.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import TextField, Value
from django.db.models.functions import Concat, Replace, Upper

SEARCHED_FIELDS = {
    "partner": ["name", "short_name", "description"],
    "person": ["name", "role"],
    "meeting": ["title", "location", "summary", "outcome"],
    "commitment": ["title", "description"],
    "milestone": ["title", "description"],
}
ZERO_WIDTH_SPACE = "\u200b"


def substring_document(fields):
    parts = [f for name in fields for f in (name, Value(" "))][:-1]
    return Replace(
        Concat(*parts, output_field=TextField()),
        Value(ZERO_WIDTH_SPACE),
        Value(""),
        output_field=TextField(),
    )


def search_indexes(model_name, fields):
    return [
        GinIndex(SearchVector(*fields, config="french"), name=f"{model_name}_search_fr_idx"),
        GinIndex(
            OpClass(Upper(substring_document(fields)), name="gin_trgm_ops"),
            name=f"{model_name}_substring_idx",
        ),
    ]


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, fields in SEARCHED_FIELDS.items():
        model = apps.get_model("cooperation", model_name)
        for index in search_indexes(model_name, fields):
            schema_editor.add_index(model, index)


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, fields in SEARCHED_FIELDS.items():
        model = apps.get_model("cooperation", model_name)
        for index in search_indexes(model_name, fields):
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0016_report_language"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
