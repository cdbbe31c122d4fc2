"""The search documents of translations (cooperation/search.py `translation_fields`): the
`_en` columns in English, the `_fr` columns in French, the `_km` columns as Khmer substrings,
indexed like the originals' documents in 0005 and 0017. tests/test_translations.py keeps these
expressions the same as search's and checks a plan uses them."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import TextField, Value
from django.db.models.functions import Concat, Replace, Upper

TRANSLATED_SEARCHED_FIELDS = {
    "partner": ["name", "short_name", "description"],
    "meeting": ["title", "summary", "outcome"],
    "commitment": ["title", "description"],
    "milestone": ["title", "description"],
}
ZERO_WIDTH_SPACE = "\u200b"


def substring_document(fields):
    parts = [f for name in fields for f in (name, Value(" "))][:-1]
    joined = Concat(*parts, output_field=TextField()) if len(parts) > 1 else parts[0]
    return Replace(joined, Value(ZERO_WIDTH_SPACE), Value(""), output_field=TextField())


def translation_indexes(model_name, fields):
    def columns(code):
        return [f"{name}_{code}" for name in fields]

    return [
        GinIndex(
            SearchVector(*columns("en"), config="english"), name=f"{model_name}_search_tr_en_idx"
        ),
        GinIndex(
            SearchVector(*columns("fr"), config="french"), name=f"{model_name}_search_tr_fr_idx"
        ),
        GinIndex(
            OpClass(Upper(substring_document(columns("km"))), name="gin_trgm_ops"),
            name=f"{model_name}_substring_tr_km_idx",
        ),
    ]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, fields in TRANSLATED_SEARCHED_FIELDS.items():
        model = apps.get_model("cooperation", model_name)
        for index in translation_indexes(model_name, fields):
            schema_editor.add_index(model, index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, fields in TRANSLATED_SEARCHED_FIELDS.items():
        model = apps.get_model("cooperation", model_name)
        for index in translation_indexes(model_name, fields):
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0018_records_in_languages"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
