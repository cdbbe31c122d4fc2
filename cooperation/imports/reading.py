"""Reading an import file, CSV or XLSX, one row at a time: a file of any size holds one row in
memory, and a file that is too big, not UTF-8 or not a workbook is refused with a message
that says what to do."""

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl import load_workbook

XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(Exception):
    """The file as a whole cannot be imported; `row` and `column` say where, when they can."""

    def __init__(self, message: str, *, row: int | None = None, column: str = ""):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


@dataclass(frozen=True)
class FormulaCell:
    """A workbook cell that holds a formula: an import reads values, never formulas."""

    coordinate: str
    formula: str


def size_check(size: int) -> None:
    """Refuse a file over IMPORT_MAX_BYTES, before it is read."""
    if size > settings.IMPORT_MAX_BYTES:
        raise FileRefused(
            _("the file is %(size)s MB; an import takes at most %(limit)s MB: split it.")
            % {
                "size": number_format(size / 1024 / 1024, 1),
                "limit": number_format(settings.IMPORT_MAX_BYTES / 1024 / 1024, 1),
            }
        )


def file_rows(stream: BinaryIO) -> Iterator[tuple[int, list]]:
    """The file's rows as (row number, cells), the header as row 1; a workbook's first sheet.
    Cells are text, or a FormulaCell. Stops with FileRefused past IMPORT_MAX_ROWS rows."""
    rows = _xlsx_rows(stream) if stream.read(4) == XLSX_MAGIC else _csv_rows(stream)
    limit = settings.IMPORT_MAX_ROWS
    for number, cells in rows:
        if number > limit + 1:
            raise FileRefused(
                _("the file has more than %(limit)s rows under its header: split it.")
                % {"limit": number_format(limit, force_grouping=True)},
                row=number,
            )
        yield number, cells


def _csv_rows(stream: BinaryIO) -> Iterator[tuple[int, list]]:
    stream.seek(0)
    csv.field_size_limit(max(settings.IMPORT_MAX_BYTES, 131072))
    wrapper = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    number = 0
    try:
        for number, cells in enumerate(csv.reader(wrapper), start=1):
            yield number, cells
    except UnicodeDecodeError:
        raise FileRefused(_("the file is not UTF-8 text: save it as CSV UTF-8.")) from None
    except csv.Error as error:
        raise FileRefused(
            _("the file is not readable as CSV (%(error)s).") % {"error": error}, row=number + 1
        ) from None
    finally:
        wrapper.detach()


def _xlsx_rows(stream: BinaryIO) -> Iterator[tuple[int, list]]:
    stream.seek(0)
    try:
        book = load_workbook(stream, read_only=True, data_only=False)
        sheet = book.worksheets[0]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        raise FileRefused(
            _(
                "the file is not a readable Excel workbook (.xlsx): save it again as one, or as "
                "CSV UTF-8."
            )
        ) from None
    try:
        for number, row in enumerate(sheet.iter_rows(), start=1):
            yield number, [_cell_text(cell) for cell in row]
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise FileRefused(
            _("the workbook could not be read (%(error)s).") % {"error": error}
        ) from None
    finally:
        book.close()


def _cell_text(cell) -> str | FormulaCell:
    value = cell.value
    if getattr(cell, "data_type", None) == "f":
        return FormulaCell(coordinate=cell.coordinate, formula=str(value))
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
