"""Exports of the list pages: a CSV that streams, an Excel workbook with a row cap, a cap on
how many exports are prepared at once, and spreadsheet safety.

Both formats carry what the table's `as_values()` gives (its headers, each row's export
values, neutralised), for the filtered and sorted rows of the page. The rows are read from
the database in chunks, so memory holds one chunk, not the whole table.

A cell whose text starts with `=`, `+`, `-` or `@` (or a tab or carriage return,
which some spreadsheets strip before reading a formula) would run as a formula
when the file is opened. Such text gets a leading apostrophe, which spreadsheets
read as "this is text".
"""

import csv
import io
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from itertools import chain, islice

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tables2.rows import BoundRows
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

logger = logging.getLogger(__name__)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV = "csv"
XLSX = "xlsx"
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Records read from the database at a time; prefetches run once per chunk.
CHUNK_SIZE = 2000
# Bytes of CSV gathered before they are sent.
CSV_BUFFER = 64 * 1024
# A slot not given back within this long (its process died mid-export) frees itself.
SLOT_TIMEOUT = 10 * 60
SLOT_KEY = "concord-export-slot-{}"
RETRY_AFTER = 60
# Rows of a workbook read to size its columns.
ROWS_FOR_WIDTHS = 100
MAX_COLUMN_WIDTH = 60
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True)


def neutralise(value):
    """The value, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """The text `neutralise` was given: an import reads an export's cells back."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def table_values(table, *, limit: int | None = None) -> Iterator[list]:
    """`table.as_values()`: the headers, then each row's export values, neutralised; at most
    `limit` rows.

    django-tables2 iterates the table's queryset itself, which keeps every record in the
    queryset's cache; here its rows come from `.iterator()` instead, a chunk at a time.
    """
    records = table.data.data
    if limit is not None:
        records = records[:limit]
    if isinstance(records, QuerySet):
        records = records.iterator(chunk_size=CHUNK_SIZE)
    table.rows = BoundRows(data=records, table=table, pinned_data=table.rows.pinned_data)
    return table.as_values()


# Concurrency ------------------------------------------------------------------------------


class ExportsBusy(Exception):
    """Every export slot is taken."""


# The slot this thread's last export took, until it is given back. A web server's thread serves
# one request at a time, so when the thread starts another export, that slot belongs to a
# download that ended without being closed (Django's test client does not close a streaming
# response nobody read): it is given back then.
_this_thread = threading.local()


@contextmanager
def export_slot() -> Iterator[None]:
    """Hold one of `EXPORT_CONCURRENCY` slots while an export is prepared; raises ExportsBusy
    when all are taken.

    The slots are keys in Django's cache, so they count across every process that shares the
    cache; with the default local-memory cache, each web process counts its own. A slot whose
    process died frees itself after SLOT_TIMEOUT. A cache that fails lets the export through
    rather than refuse every export.
    """
    left_over = getattr(_this_thread, "slot", None)
    if left_over:
        _slot_give_back(*left_over)
    key, token = _slot_take()
    _this_thread.slot = (key, token) if key else None
    try:
        yield
    finally:
        if key:
            _slot_give_back(key, token)


def _slot_take() -> tuple[str, str]:
    """A free slot's key and the token that marks it ours; ("", "") when the cache fails."""
    token = uuid.uuid4().hex
    try:
        for number in range(settings.EXPORT_CONCURRENCY):
            key = SLOT_KEY.format(number)
            if cache.add(key, token, SLOT_TIMEOUT):
                return key, token
    except Exception:
        logger.warning("Export slots unavailable; exporting without a cap", exc_info=True)
        return "", ""
    raise ExportsBusy


def _slot_give_back(key: str, token: str) -> None:
    if getattr(_this_thread, "slot", None) == (key, token):
        _this_thread.slot = None
    try:
        # A slot that timed out may have been taken since; that one is not ours to free.
        if cache.get(key) == token:
            cache.delete(key)
    except Exception:
        logger.warning("Export slot %s not given back; it frees itself", key, exc_info=True)


def exports_busy_response() -> HttpResponse:
    response = HttpResponse(
        _("Too many exports are being prepared; please try again in a minute."),
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class ClosingIterator:
    """Iterates `iterable`; `close()` closes it and then calls `on_close`, even when iteration
    never started (a generator's `finally` does not run then)."""

    def __init__(self, iterable: Iterable, on_close: Callable[[], object]):
        self.iterator = iter(iterable)
        self.on_close = on_close

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.iterator)

    def close(self) -> None:
        try:
            if hasattr(self.iterator, "close"):
                self.iterator.close()
        finally:
            self.on_close()


# Responses --------------------------------------------------------------------------------


def export_response(export_format: str, table, *, filename: str, hxl: bool = False) -> HttpResponse:
    """The table as a CSV or Excel download, or a 503 asking to retry when too many exports
    are being prepared. With `hxl`, a CSV's second line is the columns' HXL hashtags."""
    try:
        if export_format == CSV:
            return csv_response(table, filename=filename, hxl=hxl)
        return xlsx_response(table, filename=filename, max_rows=settings.EXPORT_XLSX_MAX_ROWS)
    except ExportsBusy:
        return exports_busy_response()


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_chunks(rows: Iterable[list]) -> Iterator[bytes]:
    """The rows as UTF-8 CSV, in pieces of about CSV_BUFFER bytes; the first row alone, so the
    download starts before the database has answered."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, row in enumerate(rows):
        writer.writerow(row)
        if number == 0 or buffer.tell() >= CSV_BUFFER:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def csv_response(table, *, filename: str, hxl: bool = False) -> StreamingHttpResponse:
    """Every row of the table as a CSV that streams, holding an export slot until the download
    ends or is dropped; with `hxl`, the hashtag row under the headers. Raises ExportsBusy."""
    slot = ExitStack()
    slot.enter_context(export_slot())
    rows = table_values(table)
    if hxl:
        rows = chain([next(rows), table.hxl_row()], rows)
    content = ClosingIterator(csv_chunks(rows), on_close=slot.close)
    response = StreamingHttpResponse(content, content_type=CONTENT_TYPES[CSV])
    return _attachment(response, filename)


def cap_message(left_out: int, max_rows: int) -> str:
    """The last row of a workbook that stopped at the cap."""
    return ngettext(
        "%(left_out)s more row is not in this workbook: Excel exports stop at %(max_rows)s "
        "rows. The CSV export has every row.",
        "%(left_out)s more rows are not in this workbook: Excel exports stop at %(max_rows)s "
        "rows. The CSV export has every row.",
        left_out,
    ) % {
        "left_out": number_format(left_out, force_grouping=True),
        "max_rows": number_format(max_rows, force_grouping=True),
    }


def xlsx_value(value):
    """A cell value openpyxl accepts: text without the control characters XML cannot hold."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def column_widths(rows: list[list]) -> list[float]:
    """Widths that fit the longest line of each column's text, within MAX_COLUMN_WIDTH."""
    widths = [0] * len(rows[0])
    for row in rows:
        for index, value in enumerate(row):
            longest = max((len(line) for line in str(value or "").splitlines()), default=0)
            widths[index] = max(widths[index], longest)
    return [min(width + 2, MAX_COLUMN_WIDTH) for width in widths]


def xlsx_cell(sheet, value, *, font=None):
    """The value for a write-only sheet's row; a styled cell when it is bold (`font`) or has
    lines to wrap, since styling every cell would slow the workbook down."""
    value = xlsx_value(value)
    wrapped = isinstance(value, str) and "\n" in value
    if font is None and not wrapped:
        return value
    cell = WriteOnlyCell(sheet, value)
    if font is not None:
        cell.font = font
    if wrapped:
        cell.alignment = WRAP
    return cell


def xlsx_response(table, *, filename: str, max_rows: int) -> HttpResponse:
    """The table's first `max_rows` rows as an Excel workbook, written as they are read; when
    there are more, a last row says how many were left out. Raises ExportsBusy."""
    with export_slot():
        records = table.data.data
        values = table_values(table, limit=max_rows)
        first = [next(values), *islice(values, ROWS_FOR_WIDTHS)]

        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(table.data.verbose_name_plural).capitalize()[:31])
        sheet.freeze_panes = "A2"
        for number, width in enumerate(column_widths(first), start=1):
            sheet.column_dimensions[get_column_letter(number)].width = width
        sheet.append([xlsx_cell(sheet, header, font=BOLD) for header in first[0]])
        written = 0
        for row in chain(first[1:], values):
            sheet.append([xlsx_cell(sheet, value) for value in row])
            written += 1
        if written == max_rows:
            total = records.count() if isinstance(records, QuerySet) else len(records)
            if total > max_rows:
                message = cap_message(total - max_rows, max_rows)
                sheet.append([xlsx_cell(sheet, message, font=BOLD)])
        stream = io.BytesIO()
        book.save(stream)
    response = HttpResponse(stream.getvalue(), content_type=CONTENT_TYPES[XLSX])
    return _attachment(response, filename)
