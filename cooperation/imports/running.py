"""Running an import: every row read, checked and written through `cooperation.services`, in one
transaction that is kept only when no row has an error and it is not a dry run.

Rows are handled a chunk at a time: one query per link column finds the records a chunk
names, one query (with its prefetches) the records its rows match, so a file of any length
holds one chunk in memory.
"""

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, Q
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from cooperation import services, visibility
from cooperation.exports import unneutralise
from cooperation.imports.columns import CellError, Column
from cooperation.imports.kinds import CITATION, FIELDS, KINDS, Kind
from cooperation.imports.reading import FileRefused, FormulaCell, file_rows, size_check
from cooperation.models import Citation, CommitmentUpdate, Partner, Source, Visibility

CHUNK_ROWS = 1000
PROVENANCE = ("source", "source_title", "source_publisher", "source_date", "source_text", "passage")
# A new source's fields, by the import column that gives each.
SOURCE_FIELDS = {
    "source": "reference",
    "source_title": "title",
    "source_publisher": "publisher",
    "source_date": "published_on",
    "source_text": "text",
}
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


@dataclass(frozen=True)
class RowError:
    """One error: the row (the header is row 1; none for the file as a whole), the column,
    and what is wrong."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return _("file: %(message)s") % {"message": self.message}
        if self.column:
            return _("row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do: each row's outcome and every error."""

    kind: str
    dry_run: bool
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    outcomes: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False

    @property
    def summary(self) -> str:
        return _("%(new)s new, %(changed)s changed, %(unchanged)s unchanged, %(errors)s errors") % {
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "errors": len(self.errors),
        }

    def count(self, number: int, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.outcomes.append((number, outcome))


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)
    new_source_reference: str = ""

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))


def import_file(
    *,
    kind: str,
    stream: BinaryIO,
    size: int | None = None,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import one file of records of `kind` (a key of `KINDS`), all or nothing: the records
    are written, their history attributed to `user`, only when no row has an error and this
    is not a dry run; a dry run does the same work and rolls it back. With a `user`, links
    and matches reach only the records that user may see, and only those they may edit
    change."""
    report = ImportReport(kind=kind, dry_run=dry_run)
    with transaction.atomic():
        try:
            if size is not None:
                size_check(size)
            _Importer(KINDS[kind], user=user, report=report).run(file_rows(stream))
        except FileRefused as refused:
            report.errors.append(RowError(refused.row, refused.column, refused.message))
        if report.errors or dry_run:
            transaction.set_rollback(True)
        else:
            report.written = True
    return report


@functools.cache
def display_headers(kind: Kind, language: str) -> frozenset[str]:
    """The headers of the columns the list export carries for people to read, in a language."""
    if kind.table is None:
        return frozenset()
    with translation.override(language):
        return frozenset(
            str(column.verbose_name or name) for name, column in kind.table.base_columns.items()
        )


def _ignored_headers(kind: Kind) -> frozenset[str]:
    return frozenset().union(*(display_headers(kind, code) for code, _name in settings.LANGUAGES))


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _is_hxl_row(cells: list) -> bool:
    filled = [cell for cell in cells if isinstance(cell, str) and cell.strip()]
    return bool(filled) and all(cell.strip().startswith("#") for cell in filled)


class _Importer:
    def __init__(self, kind: Kind, *, user: AbstractBaseUser | None, report: ImportReport):
        self.kind = kind
        self.model = kind.model
        self.user = user
        self.report = report
        # Records this import made, by model and key: later rows may name them.
        self.created: dict[type, dict[Any, models.Model]] = defaultdict(dict)
        self.seen: dict[tuple, int] = {}
        self._owner: Partner | None | bool = False
        self.nameless: set[int] = set()
        self.cited: dict[int, set[tuple[int, str]]] = {}

    # Reading -----------------------------------------------------------------------------

    def run(self, rows: Iterator[tuple[int, list]]) -> None:
        first = next(rows, None)
        if first is None:
            raise FileRefused(_("the file is empty: its first row must name the columns."))
        columns = self.header_read(first[1])
        if self.report.errors:
            return
        data = self.data_rows(rows, columns)
        found = False
        for chunk in _chunks(data, CHUNK_ROWS):
            found = True
            self.chunk_run(chunk)
        if not found:
            raise FileRefused(_("the file has a header but no rows under it."), row=2)

    def header_read(self, header: list) -> list[Column | None]:
        """Each cell's column, None for a column to ignore; errors for the rest."""
        known = {column.name: column for column in self.kind.columns}
        ignored = _ignored_headers(self.kind)
        columns: list[Column | None] = []
        seen: set[str] = set()
        for index, cell in enumerate(header, start=1):
            name = cell.strip() if isinstance(cell, str) else ""
            if isinstance(cell, FormulaCell):
                self.report.errors.append(
                    RowError(1, get_column_letter(index), self._formula(cell))
                )
            if name in seen:
                self.report.errors.append(
                    RowError(1, name, _("this column is named twice; keep one."))
                )
            elif name and name not in known and name not in ignored:
                self.report.errors.append(
                    RowError(
                        1,
                        name,
                        _(
                            "there is no such column in an import of %(kind)s; the columns are: "
                            "%(columns)s."
                        )
                        % {"kind": self.kind.label, "columns": ", ".join(known)},
                    )
                )
            if not name:
                self.nameless.add(index - 1)
            seen.add(name)
            columns.append(known.get(name))
        for column in self.kind.columns:
            if column.required and column.name not in seen:
                self.report.errors.append(
                    RowError(
                        1,
                        column.name,
                        _("this column is missing; an import of %(kind)s needs it.")
                        % {"kind": self.kind.label},
                    )
                )
        if self.kind.provenance and "passage" not in seen:
            self.report.errors.append(
                RowError(
                    1,
                    "passage",
                    _(
                        "this column is missing: each row names the verbatim "
                        "passage of its source it rests on."
                    ),
                )
            )
        if self.kind.provenance and not seen & {"source", "source_title"}:
            self.report.errors.append(
                RowError(
                    1,
                    "source",
                    _(
                        "this column is missing: each row names its source "
                        "(or source_title for a new one)."
                    ),
                )
            )
        return columns

    def data_rows(self, rows: Iterable[tuple[int, list]], columns: list[Column | None]):
        """Each non-blank row as a Row of parsed values (links still keys), errors noted."""
        for number, cells in rows:
            if not any(isinstance(c, FormulaCell) or c.strip() for c in cells):
                continue
            if number == 2 and _is_hxl_row(cells):
                continue
            row = Row(number=number, values={})
            for index, cell in enumerate(cells):
                column = columns[index] if index < len(columns) else None
                if isinstance(cell, FormulaCell):
                    row.error(
                        column.name if column else get_column_letter(index + 1), self._formula(cell)
                    )
                    continue
                if column is None:
                    if cell.strip() and (index >= len(columns) or index in self.nameless):
                        row.error(
                            get_column_letter(index + 1),
                            _("this cell has a value but its column has no name."),
                        )
                    continue
                self.cell_read(row, column, unneutralise(cell))
            for column in filter(None, columns[len(cells) :]):
                self.cell_read(row, column, "")
            yield row

    def _formula(self, cell: FormulaCell) -> str:
        return _(
            "cell %(cell)s holds a formula (%(formula)s); an import reads values only: "
            "paste it as a value."
        ) % {"cell": cell.coordinate, "formula": cell.formula}

    def cell_read(self, row: Row, column: Column, text: str) -> None:
        if not text.strip():
            if column.required:
                row.error(column.name, _("this column needs a value."))
                return
            model_field = self._field(column)
            if model_field is not None and model_field.has_default():
                row.values[column.name] = model_field.get_default()
                return
        try:
            row.values[column.name] = column.parse(text)
        except CellError as error:
            row.error(column.name, str(error))

    def _field(self, column: Column) -> models.Field | None:
        if not column.field or (self.kind.provenance == CITATION and column.name in PROVENANCE):
            return None
        return self.model._meta.get_field(column.field)

    # A chunk of rows ---------------------------------------------------------------------

    def chunk_run(self, rows: list[Row]) -> None:
        self.links_resolve(rows)
        for row in rows:
            if not row.errors:
                self.provenance_resolve(row)
        matches = self.matches_find([row for row in rows if not row.errors])
        for row in rows:
            if not row.errors:
                self.row_write(row, matches)
            self.report.errors.extend(row.errors)

    def queryset(self, model: type[models.Model]) -> models.QuerySet:
        if self.user is None:
            return model._default_manager.all()
        return model.objects.visible_to(self.user)  # type: ignore[attr-defined]

    def links_resolve(self, rows: list[Row]) -> None:
        """Replace each link's key by its record: one query per link column for the chunk."""
        for column in self.kind.columns:
            if column.link is None:
                continue
            keys = set()
            for row in rows:
                value = row.values.get(column.name)
                if column.many:
                    keys.update(value or ())
                elif value not in (None, ""):
                    keys.add(value)
            found = (
                {
                    getattr(record, column.link_key): record
                    for record in self.queryset(column.link).filter(
                        **{f"{column.link_key}__in": keys}
                    )
                }
                if keys
                else {}
            )
            for row in rows:
                if column.name not in row.values:
                    continue
                value = row.values[column.name]
                if column.many:
                    records = []
                    for key in value or ():
                        record = found.get(key) or self.created[column.link].get(key)
                        if record is None:
                            row.error(column.name, self._unknown(column, key))
                        records.append(record)
                    row.values[column.name] = records
                elif value not in (None, ""):
                    record = found.get(value) or self.created[column.link].get(value)
                    if (
                        record is None
                        and column.name == "source"
                        and row.values.get("source_title")
                    ):
                        row.new_source_reference = value
                    elif record is None:
                        row.error(column.name, self._unknown(column, value))
                    row.values[column.name] = record
                else:
                    row.values[column.name] = None

    def _unknown(self, column: Column, key: Any) -> str:
        return _("there is no %(model)s with the %(key)s “%(value)s”.") % {
            "model": column.link._meta.verbose_name,  # type: ignore[union-attr]
            "key": "id" if column.link_key == "pk" else column.link_key,
            "value": key,
        }

    def provenance_resolve(self, row: Row) -> None:
        """The row's source: the one named, or one made from the source_ columns."""
        if not self.kind.provenance:
            return
        values = row.values
        source = values.get("source")
        if source is None and (values.get("source_title") or values.get("source_text")):
            reference = row.new_source_reference or slugify(values.get("source_title", ""))[:200]
            source = self.created[Source].get(reference)
            if source is None:
                source = self.queryset(Source).filter(reference=reference).first()
                if source is not None:
                    self.created[Source][reference] = source
            if source is None:
                source = self.source_create(row, reference)
            elif " ".join(source.text.split()) != " ".join(values.get("source_text", "").split()):
                row.error(
                    "source_text",
                    _(
                        "the source “%(reference)s” exists with another "
                        "text; give the new source another reference in the "
                        "source column."
                    )
                    % {"reference": reference},
                )
        elif source is not None and values.get("source_text"):
            if " ".join(values["source_text"].split()) != " ".join(source.text.split()):
                row.error(
                    "source_text",
                    _(
                        "the source “%(reference)s” exists with another "
                        "text; name it without source_text, or give a new "
                        "reference."
                    )
                    % {"reference": source.reference},
                )
        values["source"] = source

    def source_create(self, row: Row, reference: str) -> Source | None:
        data = {"reference": reference}
        for column, name in SOURCE_FIELDS.items():
            if column != "source" and row.values.get(column) not in (None, ""):
                data[name] = row.values[column]
        try:
            source = services.source_create(user=self.user, **data)  # type: ignore[arg-type]
        except ValidationError as error:
            by_field = {name: column for column, name in SOURCE_FIELDS.items()}
            for name, messages in error.message_dict.items():
                for message in messages:
                    row.error(by_field.get(name, "source"), message)
            return None
        self.created[Source][reference] = source
        return source

    # Matching ----------------------------------------------------------------------------

    def _key(self, row: Row) -> tuple:
        if row.values.get("id") is not None:
            return ("id", row.values["id"])
        return tuple(_plain(row.values.get(name)) for name in self.kind.key)

    def _record_key(self, record: models.Model) -> tuple:
        return tuple(
            getattr(record, self.model._meta.get_field(name).attname) for name in self.kind.key
        )

    def matches_find(self, rows: list[Row]) -> dict[tuple, list[models.Model]]:
        """The existing records the rows match, by key: one query, links and citations
        prefetched."""
        if not rows:
            return {}
        ids = {row.values["id"] for row in rows if row.values.get("id") is not None}
        condition = Q(pk__in=ids) if ids else Q()
        natural = [row for row in rows if row.values.get("id") is None]
        if natural:
            q = Q()
            for name in self.kind.key:
                values = {_plain(row.values.get(name)) for row in natural}
                part = Q(**{f"{name}__in": values - {None}})
                if None in values:
                    part |= Q(**{f"{name}__isnull": True})
                q &= part
            condition = condition | q if ids else q
        queryset = self.model._default_manager.filter(condition)
        if self.user is not None:
            queryset = queryset.visible_to(self.user)  # type: ignore[attr-defined]
        for link in self.model._meta.many_to_many:
            queryset = queryset.prefetch_related(link.name)
            if self.user is not None:
                visible = link.related_model.objects.visible_to(self.user)  # type: ignore[union-attr]
                queryset = queryset.prefetch_related(
                    Prefetch(link.name, queryset=visible, to_attr=f"visible_{link.name}")
                )
        matches: dict[tuple, list[models.Model]] = defaultdict(list)
        records = list(queryset)
        for record in records:
            if record.pk in ids:
                matches[("id", record.pk)].append(record)
            matches[self._record_key(record)].append(record)
        if self.kind.provenance == CITATION:
            self.cited = self.citations_of(records)
        return matches

    def citations_of(self, records: list[models.Model]) -> dict[int, set[tuple[int, str]]]:
        """Each record's citations as (source, passage): one query (a generic relation's
        prefetch would build one filter per record)."""
        cited: dict[int, set[tuple[int, str]]] = defaultdict(set)
        citations = Citation.objects.filter(
            content_type=ContentType.objects.get_for_model(self.model),
            object_id__in=[record.pk for record in records],
        ).values_list("object_id", "source_id", "passage")
        for object_id, source_id, passage in citations:
            cited[object_id].add((source_id, passage))
        return cited

    # Writing -----------------------------------------------------------------------------

    def row_write(self, row: Row, matches: dict[tuple, list[models.Model]]) -> None:
        key = self._key(row)
        if key in self.seen:
            row.error(
                "", _("this row names the same record as row %(row)s.") % {"row": self.seen[key]}
            )
            return
        self.seen[key] = row.number
        found = matches.get(key, [])
        if key[0] == "id" and not found:
            row.error(
                "id",
                _("there is no %(model)s with the id “%(value)s”.")
                % {"model": self.model._meta.verbose_name, "value": key[1]},
            )
            return
        if len(found) > 1:
            row.error(
                "",
                _("this row matches %(count)s records; give the id column to say which.")
                % {"count": len(found)},
            )
            return
        fields, links = self.values_split(row)
        try:
            if found:
                outcome = self.record_change(row, found[0], fields, links)
            else:
                outcome = self.record_add(row, fields, links)
        except ValidationError as error:
            self.errors_note(row, error)
            return
        except IntegrityError as error:
            row.error("", _("the database refused the row (%(error)s).") % {"error": error})
            return
        if outcome:
            self.report.count(row.number, outcome)

    def values_split(self, row: Row) -> tuple[dict[str, Any], dict[str, list]]:
        fields: dict[str, Any] = {}
        links: dict[str, list] = {}
        for name, value in row.values.items():
            if name == "id":
                continue
            if name in PROVENANCE and not (
                self.kind.provenance == FIELDS and name in ("source", "passage")
            ):
                continue
            if self.model._meta.get_field(name).many_to_many:
                links[name] = value
            else:
                fields[name] = value
        return fields, links

    def citation(self, row: Row) -> services.CitationInput | None:
        if self.kind.provenance != CITATION:
            return None
        source, passage = row.values.get("source"), row.values.get("passage") or ""
        if source is None or not passage:
            return None
        return services.CitationInput(source=source, passage=passage)

    def owner_default(self) -> Partner | None:
        """The owner of a new record that is not public: the importing user's organisation."""
        if self._owner is False:
            organisations = sorted(visibility.organisation_ids(self.user))
            self._owner = Partner.objects.filter(pk__in=organisations[:1]).first()
        return self._owner  # type: ignore[return-value]

    def record_add(self, row: Row, fields: dict[str, Any], links: dict[str, list]) -> str:
        citation = self.citation(row)
        if self.kind.provenance == CITATION and citation is None:
            row.error(
                "passage",
                _(
                    "a new record names its source and the verbatim passage of "
                    "it that the row rests on."
                ),
            )
            return ""
        if (
            "owner" in self.model._meta._forward_fields_map
            and not fields.get("owner")
            and fields.get("visibility", Visibility.PUBLIC) != Visibility.PUBLIC
        ):
            fields["owner"] = self.owner_default()
        if self.model is CommitmentUpdate:
            record = services.commitment_add_update(user=self.user, **fields)
        else:
            data = {**fields, **links}
            if citation is not None:
                data["citations"] = [citation]
            record = services.record_create(model=self.model, data=data, user=self.user)
        key = getattr(record, "slug", None) or getattr(record, "reference", None)
        if key:
            self.created[self.model][key] = record
        return NEW

    def record_change(
        self, row: Row, record: models.Model, fields: dict[str, Any], links: dict[str, list]
    ) -> str:
        changes: dict[str, Any] = {}
        for name, value in fields.items():
            if getattr(record, self.model._meta.get_field(name).attname) != _plain(value):
                changes[name] = value
        for name, values in links.items():
            current = list(getattr(record, name).all())
            if self.user is not None:
                # Links to records the user may not see stay, as in the admin.
                visible = {r.pk for r in getattr(record, f"visible_{name}")}
                values = [*values, *(r for r in current if r.pk not in visible)]
            if {r.pk for r in values} != {r.pk for r in current}:
                changes[name] = values
        citation = self.citation(row)
        if citation is not None and (citation.source.pk, citation.passage) in self.cited[record.pk]:
            citation = None
        if self.kind.append_only:
            if changes:
                row.error(
                    "",
                    _(
                        "this entry exists with other values (%(fields)s); the status "
                        "history only grows: add a new entry instead."
                    )
                    % {"fields": ", ".join(changes)},
                )
                return ""
            return UNCHANGED
        if not changes and citation is None:
            return UNCHANGED
        if self.user is not None and not visibility.may_edit(self.user, record):
            row.error("", _("you may not change this record: it belongs to another organisation."))
            return ""
        with transaction.atomic():
            if changes:
                services.record_update(record=record, changes=changes, user=self.user)
            if citation is not None:
                services.citations_add(record=record, citations=[citation], user=self.user)
        return CHANGED

    def errors_note(self, row: Row, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                row.error("", message)
            return
        for name, messages in error.message_dict.items():
            if name.startswith("citations."):
                name = name.rsplit(".", 1)[-1]
                name = "passage" if name == "passage" else "source"
            column = "" if name == "__all__" else name
            for message in messages:
                row.error(column, message)


def _plain(value: Any) -> Any:
    """A value as it compares with a record's attribute: a linked record by its key."""
    if isinstance(value, models.Model):
        return value.pk
    return value
