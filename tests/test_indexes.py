"""The newest-first indexes that keep the timeline and the tables' default order from sorting
every row (migration 0012), on PostgreSQL."""

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

indexes = importlib.import_module("cooperation.migrations.0012_newest_first_indexes")


def test_every_newest_first_index_exists_as_the_queries_order_them():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot index NULLS LAST; these exist on PostgreSQL only.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%_idx"]
        )
        found = dict(cursor.fetchall())
    for model_name, model_indexes in indexes.NEWEST_FIRST_INDEXES.items():
        for index in model_indexes:
            definition = found[index.name]
            assert f"cooperation_{model_name}" in definition, index.name
            column = (
                "period_start DESC" if model_name == "complaintcount" else "date DESC NULLS LAST"
            )
            assert column in definition, definition
