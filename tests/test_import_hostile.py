"""Bad import files: each refused with a clear message, nothing written, never a 500."""

import io
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from cooperation.models import ComplaintCount, Partner
from tests.import_helpers import SEED_PASSAGE, SEED_SOURCE, csv_bytes, messages, run

pytestmark = pytest.mark.django_db

HEADER = ["slug", "name", "kind", "source", "passage"]
GOOD = ["ngo-x", "NGO X", "ngo", SEED_SOURCE, SEED_PASSAGE]
COUNT_HEADER = ["received_by", "period_start", "period_end", "count", "source", "passage"]


def test_wrong_encoding_says_to_save_as_csv_utf8(seed):
    content = "slug,name,kind,source,passage\nngo-x,Café,ngo,a,b\n".encode("cp1252")
    assert messages(run("partner", content)) == [
        "file: the file is not UTF-8 text: save it as CSV UTF-8."
    ]


def test_a_byte_order_mark_is_read(seed):
    report = run("partner", csv_bytes([HEADER, GOOD], bom=True))
    assert report.summary == "1 new, 0 changed, 0 unchanged, 0 errors"


def test_a_missing_column_is_named(seed):
    report = run("partner", csv_bytes([HEADER[:2] + HEADER[3:], GOOD[:2] + GOOD[3:]]))
    assert messages(report) == [
        "row 1, column kind: this column is missing; an import of partners needs it."
    ]


def test_an_unknown_column_is_named(seed):
    report = run("partner", csv_bytes([[*HEADER, "colour"], [*GOOD, "red"]]))
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith(
        "row 1, column colour: there is no such column in an import of partners"
    )


def test_a_formula_cell_is_a_row_error_naming_the_cell(seed):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(GOOD)
    sheet["B2"] = '=CONCAT("NGO", " X")'
    stream = io.BytesIO()
    book.save(stream)
    report = run("partner", stream.getvalue())
    assert messages(report) == [
        'row 2, column name: cell B2 holds a formula (=CONCAT("NGO", " X")); an import reads '
        "values only: paste it as a value."
    ]
    assert not Partner.objects.filter(slug="ngo-x").exists()


def test_an_xlsx_file_imports(seed):
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(GOOD)
    stream = io.BytesIO()
    book.save(stream)
    assert run("partner", stream.getvalue()).summary.startswith("1 new")


def test_a_date_in_another_format_says_iso(seed):
    rows = [COUNT_HEADER, ["iom", "31/03/2024", "2024-03-31", "3", SEED_SOURCE, SEED_PASSAGE]]
    assert messages(run("complaintcount", csv_bytes(rows))) == [
        "row 2, column period_start: “31/03/2024” is not a date as YYYY-MM-DD (such as 2024-03-31)."
    ]


def test_a_count_below_zero_is_refused(seed):
    rows = [COUNT_HEADER, ["iom", "2024-01-01", "2024-03-31", "-4", SEED_SOURCE, SEED_PASSAGE]]
    assert messages(run("complaintcount", csv_bytes(rows))) == [
        "row 2, column count: -4 is below zero: a count cannot be negative."
    ]


def test_an_unknown_plan_pillar_is_named_with_the_pillars(seed):
    header = ["slug", "title", "kind", "date", "pillar", "source", "passage"]
    row = ["talks", "Talks", "other", "2022-11-01", "Prevention", SEED_SOURCE, SEED_PASSAGE]
    assert messages(run("milestone", csv_bytes([header, row]))) == [
        "row 2, column pillar: “Prevention” is not one of: (blank), prevention, protection, "
        "prosecution, partnership."
    ]


def test_an_unknown_partner_slug_is_named(seed):
    rows = [COUNT_HEADER, ["no-such", "2024-01-01", "2024-03-31", "4", SEED_SOURCE, SEED_PASSAGE]]
    assert messages(run("complaintcount", csv_bytes(rows))) == [
        "row 2, column received_by: there is no partner with the slug “no-such”."
    ]


def test_a_file_over_the_size_limit_is_refused_before_reading(seed, settings):
    settings.IMPORT_MAX_BYTES = 100
    content = csv_bytes([HEADER, GOOD, GOOD])
    report = run("partner", content)
    assert len(report.errors) == 1
    assert "an import takes at most 0.0 MB: split it." in str(report.errors[0])
    assert not Partner.objects.filter(slug="ngo-x").exists()


def test_too_many_rows_are_refused(seed, settings):
    settings.IMPORT_MAX_ROWS = 2
    rows = [HEADER] + [[f"ngo-{n}", "N", "ngo", SEED_SOURCE, SEED_PASSAGE] for n in range(3)]
    report = run("partner", csv_bytes(rows))
    assert messages(report)[-1] == (
        "row 4: the file has more than 2 rows under its header: split it."
    )
    assert not Partner.objects.filter(slug="ngo-0").exists()


def test_an_empty_file_says_so(seed):
    assert messages(run("partner", b"")) == [
        "file: the file is empty: its first row must name the columns."
    ]


def test_a_header_only_file_says_so(seed):
    assert messages(run("partner", csv_bytes([HEADER]))) == [
        "row 2: the file has a header but no rows under it."
    ]


def test_the_same_record_twice_in_one_file_is_an_error(seed):
    report = run("partner", csv_bytes([HEADER, GOOD, GOOD]))
    assert messages(report) == ["row 3: this row names the same record as row 2."]


def test_binary_garbage_is_refused_without_a_crash(seed):
    assert messages(run("partner", b"PK\x03\x04garbage")) == [
        "file: the file is not a readable Excel workbook (.xlsx): save it again as one, or as "
        "CSV UTF-8."
    ]
    assert run("partner", b"\x00\x01\x02" * 100).errors


def test_100k_rows_stream_in_a_few_queries_a_chunk_within_memory(seed):
    """100,000 complaint counts already there: each row is matched, compared, unchanged."""
    partner = Partner.objects.get(slug="iom")
    ComplaintCount.objects.bulk_create(
        ComplaintCount(
            received_by=partner,
            period_start=f"{1000 + n // 12:04d}-{n % 12 + 1:02d}-01",
            period_end=f"{1000 + n // 12:04d}-{n % 12 + 1:02d}-28",
            count=n,
        )
        for n in range(100_000)
    )
    rows = [COUNT_HEADER] + [
        [
            "iom",
            f"{1000 + n // 12:04d}-{n % 12 + 1:02d}-01",
            f"{1000 + n // 12:04d}-{n % 12 + 1:02d}-28",
            str(n),
            "",
            "",
        ]
        for n in range(100_000)
    ]
    content = csv_bytes(rows)
    del rows
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        report = run("complaintcount", content, dry_run=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.summary == "0 new, 0 changed, 100000 unchanged, 0 errors"
    # A few queries a chunk of 1,000 rows, not one a row: the time is the benchmark's to tell.
    assert len(queries) <= 100 * 4
    assert peak < 150 * 1024 * 1024
