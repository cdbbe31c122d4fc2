"""The columns of an import file: what each is called, how its text is read (strictly: a value
that could mean two things is refused, never guessed), and how the list export writes it."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

LIST_SEPARATOR = ";"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0", ""}


class CellError(ValueError):
    """A cell's text that is not a value of its column; the message says what is expected."""


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    `field` is the model field it writes (blank for the provenance columns, which make a
    citation); `link` the model it names records of, by `link_key` (a slug unless told), one
    or, with `many`, several separated by semicolons. `export` reads the column's text from a
    record as the list page's CSV export writes it, so that the export imports back.
    """

    name: str
    parse: Callable[[str], Any]
    help: Any = ""
    required: bool = False
    field: str = ""
    link: type[models.Model] | None = None
    link_key: str = "slug"
    many: bool = False
    allowed: Any = ""
    example: str = ""
    export: Callable[[models.Model], str] | None = None
    hxl: str = ""


def text(value: str) -> str:
    return value.strip()


def whole_number(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"-?\d+", value):
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value})
    number = int(value)
    if number < 0:
        raise CellError(
            _("%(value)s is below zero: a count cannot be negative.") % {"value": value}
        )
    return number


def iso_date(value: str) -> datetime.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        if not ISO_DATE.match(value):
            raise ValueError
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CellError(
            _("“%(value)s” is not a date as YYYY-MM-DD (such as 2024-03-31).") % {"value": value}
        ) from None


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise CellError(_("“%(value)s” is neither true nor false.") % {"value": value})


def decimal(value: str) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number such as 0.25.") % {"value": value}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s” is not a number such as 0.25.") % {"value": value})
    return number


def choice(choices: type[models.Choices], *, blank: bool = False) -> Callable[[str], str]:
    """One of the choices' values exactly; with `blank`, an empty cell too (no choice made)."""
    values = [*([""] if blank else []), *(str(value) for value in choices.values)]

    def parse(value: str) -> str:
        value = value.strip()
        if value in values:
            return value
        raise CellError(
            _("“%(value)s” is not one of: %(allowed)s.")
            % {"value": value, "allowed": ", ".join(v or "(blank)" for v in values)}
        )

    return parse


def key_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


# How a record's values are written in the export: the import reads each back to the same value.


def attribute(name: str) -> Callable[[models.Model], str]:
    def read(record: models.Model) -> str:
        value = getattr(record, name)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(value)

    return read


def linked(name: str, key: str = "slug") -> Callable[[models.Model], str]:
    """The key of a related record, blank when the viewer may not see it (the list selectors
    mark each such relation `<name>_shown`)."""

    def read(record: models.Model) -> str:
        if not getattr(record, f"{name}_shown", False):
            return ""
        return str(getattr(getattr(record, name), key))

    return read


def linked_many(name: str) -> Callable[[models.Model], str]:
    """The slugs of the related records the list selector prefetched (those the viewer sees)."""

    def read(record: models.Model) -> str:
        return f"{LIST_SEPARATOR} ".join(r.slug for r in getattr(record, name).all())

    return read


def first_citation(part: str) -> Callable[[models.Model], str]:
    """The source reference or the passage of the record's first citation the viewer sees
    (`export_citations` prefetches them)."""

    def read(record: models.Model) -> str:
        citations = list(record.citations.all())
        if not citations:
            return ""
        citation = citations[0]
        return citation.source.reference if part == "source" else citation.passage

    return read
