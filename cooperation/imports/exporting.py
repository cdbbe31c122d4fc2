"""What the list pages' exports carry for import: a column per import column the record has
at hand, named as the import reads it, so that an export imports back unchanged."""

import django_tables2 as tables
from django.db.models import Prefetch, QuerySet

from cooperation.imports.columns import Column
from cooperation.imports.kinds import CITATION, KINDS
from cooperation.models import Citation


class ImportColumn(tables.Column):
    """A column only the exports carry, headed by its import column's name."""

    def __init__(self, column: Column):
        super().__init__(
            verbose_name=column.name, visible=False, orderable=False, empty_values=(), default=""
        )
        self.read = column.export
        self.hxl = column.hxl

    def value(self, record):
        return self.read(record)


def export_columns(kind: str) -> list[tuple[str, tables.Column]]:
    """The extra columns of an export of `kind`, for a table's `extra_columns`."""
    return [
        (f"import_{column.name}", ImportColumn(column))
        for column in KINDS[kind].columns
        if column.export is not None
    ]


def export_queryset(kind: str, queryset: QuerySet, user) -> QuerySet:
    """The export's records with what its import columns read: the citations the user sees."""
    if KINDS[kind].provenance != CITATION:
        return queryset
    citations = Citation.objects.visible_to(user).select_related("source").order_by("pk")
    return queryset.prefetch_related(Prefetch("citations", queryset=citations))
