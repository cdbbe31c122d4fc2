"""Exports at national scale: the CSV streams in chunks with the same rows, headers and values
the table gave before; Excel stops at EXPORT_XLSX_MAX_ROWS rows and says so; at most
EXPORT_CONCURRENCY exports are prepared at once (503 with Retry-After past that), and a slot
is given back however a download ends; the queries do not grow with the rows; hostile query
strings never give a 500."""

import csv
import io
import threading
from unittest import mock

import openpyxl
import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tables2.export import TableExport

from cooperation import exports
from cooperation.imports import exporting
from cooperation.models import (
    Commitment,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Visibility,
)
from cooperation.views import LIST_PAGES
from tests import factories

pytestmark = pytest.mark.django_db

# Each list page's address, by its kind in cooperation.views.LIST_PAGES.
URLS = {
    "partner": "/partners/",
    "meeting": "/meetings/",
    "commitment": "/commitments/",
    "complaintcount": "/complaints/",
    "milestone": "/milestones/",
}
SECRET = "Quillophant"


@pytest.fixture(autouse=True)
def free_slots():
    """Every test starts and ends with every export slot free."""
    keys = [exports.SLOT_KEY.format(n) for n in range(10)]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def read_xlsx(body: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    return [[cell.value for cell in row] for row in book.active.iter_rows()]


def slots_taken() -> int:
    keys = [exports.SLOT_KEY.format(n) for n in range(10)]
    return len(cache.get_many(keys))


def table_export_before(kind: str, user, export_format: str) -> bytes:
    """What django-tables2's TableExport (the whole table in memory) gave for the same rows,
    with the columns import reads (`cooperation.imports.exporting`) that the list export adds."""
    selector, table_class, _, _ = LIST_PAGES[kind]
    table = table_class(
        data=exporting.export_queryset(kind, selector(user=user), user),
        extra_columns=exporting.export_columns(kind),
    )
    exported = TableExport(export_format, table).export()
    return exported.encode("utf-8") if isinstance(exported, str) else exported


@pytest.fixture
def records(seed):
    """The seed, plus public rows whose text a spreadsheet would run, and internal rows."""
    topic = factories.TopicFactory(name="=cmd|' /C calc'!A0", slug="formula-topic")
    partner = factories.PartnerFactory(name="+Plus partner")
    factories.PartnerFactory(name=f"{SECRET} partner", visibility=Visibility.INTERNAL)
    factories.MeetingFactory(
        title='=HYPERLINK("http://evil","x")', partners=[partner], topics=[topic]
    )
    factories.MeetingFactory(title=f"{SECRET} meeting", visibility=Visibility.INTERNAL)
    factories.CommitmentFactory(title="@SUM(A1)\nsecond line", made_by=partner)
    factories.CommitmentFactory(title=f"{SECRET} commitment", visibility=Visibility.INTERNAL)
    factories.ComplaintCountFactory(origin="-2+3", received_by=partner)
    factories.ComplaintCountFactory(origin=f"{SECRET} origin", visibility=Visibility.INTERNAL)
    factories.MilestoneFactory(title="=1+1")
    factories.MilestoneFactory(title=f"{SECRET} milestone", visibility=Visibility.INTERNAL)


@pytest.mark.parametrize("kind", URLS)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "viewer"])
def test_csv_streams_what_the_table_export_gave(client, viewer, records, kind, signed_in):
    if signed_in:
        client.force_login(viewer)
    response = client.get(URLS[kind] + "?_export=csv")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    filename = f"{LIST_PAGES[kind][3]}.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    body = body_of(response)
    assert body == table_export_before(kind, viewer if signed_in else AnonymousUser(), "csv")
    assert len(read_csv(body)) > 1


@pytest.mark.parametrize("kind", URLS)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "viewer"])
def test_xlsx_has_the_cells_the_table_export_gave(client, viewer, records, kind, signed_in):
    if signed_in:
        client.force_login(viewer)
    response = client.get(URLS[kind] + "?_export=xlsx")
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert f'filename="{LIST_PAGES[kind][3]}.xlsx"' in response["Content-Disposition"]
    before = table_export_before(kind, viewer if signed_in else AnonymousUser(), "xlsx")
    assert read_xlsx(body_of(response)) == read_xlsx(before)


def test_csv_keeps_filters_and_sorting_across_chunks(client, db, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 7)
    monkeypatch.setattr(exports, "CSV_BUFFER", 100)
    for n in range(40):
        factories.PartnerFactory(name=f"Partner {n:02}", country="KH" if n % 2 else "FR")
    response = client.get("/partners/?country=KH&sort=-name&_export=csv")
    chunks = list(response.streaming_content)
    assert len(chunks) > 5
    names = [row[0] for row in read_csv(b"".join(chunks))[1:]]
    assert names == [f"Partner {n:02}" for n in range(39, 0, -2)]


@pytest.mark.parametrize("kind", URLS)
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_anonymous_exports_never_hold_internal_rows(client, viewer, records, kind, export_format):
    url = f"{URLS[kind]}?_export={export_format}"
    anonymous = body_of(client.get(url))
    client.force_login(viewer)
    signed_in = body_of(client.get(url))
    if export_format == "xlsx":
        anonymous, signed_in = (str(read_xlsx(body)).encode() for body in (anonymous, signed_in))
    assert SECRET.encode() not in anonymous
    assert SECRET.encode() in signed_in


def test_streamed_cells_that_would_run_as_formulas_are_neutralised(client, records):
    cells = [
        cell
        for url in URLS.values()
        for row in read_csv(body_of(client.get(url + "?_export=csv")))
        for cell in row
    ]
    assert '\'=HYPERLINK("http://evil","x")' in cells
    assert "'@SUM(A1)\nsecond line" in cells
    assert "'-2+3" in cells
    assert not [cell for cell in cells if cell.startswith(exports.FORMULA_STARTS)]


# Excel's cap --------------------------------------------------------------------------------


@override_settings(EXPORT_XLSX_MAX_ROWS=3)
def test_xlsx_stops_at_the_cap_and_says_how_many_rows_it_left_out(client, db):
    for n in range(5):
        factories.CommitmentFactory(title=f"Pledge {n}")
    rows = read_xlsx(client.get("/commitments/?_export=xlsx").content)
    assert rows[0][1] == "Commitment"
    assert len(rows) == 1 + 3 + 1
    assert rows[-1][0] == (
        "2 more rows are not in this workbook: Excel exports stop at 3 rows. "
        "The CSV export has every row."
    )
    assert len(read_csv(body_of(client.get("/commitments/?_export=csv")))) == 1 + 5


@override_settings(EXPORT_XLSX_MAX_ROWS=5)
def test_xlsx_at_the_cap_has_no_message(client, db):
    for n in range(5):
        factories.CommitmentFactory(title=f"Pledge {n}")
    rows = read_xlsx(client.get("/commitments/?_export=xlsx").content)
    assert [row[1] for row in rows[1:]] == [f"Pledge {n}" for n in range(5)]


def test_the_cap_message_groups_digits():
    assert exports.cap_message(150_000, 50_000) == (
        "150,000 more rows are not in this workbook: Excel exports stop at 50,000 rows. "
        "The CSV export has every row."
    )


@override_settings(EXPORT_XLSX_MAX_ROWS=50_000)
def test_the_export_links_say_excel_is_capped(client, db):
    page = client.get("/commitments/").content.decode()
    assert "Excel holds the first 50,000 rows; the CSV has every row." in page


def test_xlsx_drops_characters_a_workbook_cannot_hold(client, db):
    factories.MeetingFactory(title="Bell\x07 and \x1bescape")
    rows = read_xlsx(client.get("/meetings/?_export=xlsx").content)
    assert rows[1][1] == "Bell and escape"


# Concurrency ------------------------------------------------------------------------------


def hold_slots_elsewhere(count: int) -> None:
    """Take slots as exports in other processes would."""
    for n in range(count):
        assert cache.add(exports.SLOT_KEY.format(n), f"other-process-{n}", 60)


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@override_settings(EXPORT_CONCURRENCY=2)
def test_an_export_past_the_cap_is_asked_to_retry(client, db, export_format):
    factories.CommitmentFactory()
    hold_slots_elsewhere(2)
    response = client.get(f"/commitments/?_export={export_format}")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Too many exports are being prepared; please try again in a minute" in (
        response.content.decode()
    )
    cache.delete(exports.SLOT_KEY.format(0))
    assert client.get(f"/commitments/?_export={export_format}").status_code == 200


@override_settings(EXPORT_CONCURRENCY=2)
def test_exports_in_other_threads_count_against_the_cap(client, db):
    started, finish = threading.Barrier(3), threading.Event()

    def long_export():
        with exports.export_slot():
            started.wait()
            finish.wait(10)

    threads = [threading.Thread(target=long_export) for _ in range(2)]
    for thread in threads:
        thread.start()
    started.wait()
    try:
        assert client.get("/partners/?_export=csv").status_code == 503
    finally:
        finish.set()
        for thread in threads:
            thread.join()
    assert slots_taken() == 0
    assert client.get("/partners/?_export=csv").status_code == 200


def test_a_download_holds_its_slot_until_it_is_read_to_the_end(client, db):
    factories.PartnerFactory()
    response = client.get("/partners/?_export=csv")
    content = iter(response.streaming_content)
    next(content)
    assert slots_taken() == 1
    list(content)
    assert slots_taken() == 0


def test_a_download_dropped_part_way_gives_its_slot_back(client, db, monkeypatch):
    monkeypatch.setattr(exports, "CSV_BUFFER", 10)
    factories.PartnerFactory.create_batch(5)
    response = client.get("/partners/?_export=csv")
    next(iter(response.streaming_content))
    assert slots_taken() == 1
    response.close()  # what the server does when the client goes away
    assert slots_taken() == 0


def test_a_download_closed_before_its_first_byte_gives_its_slot_back(client, db):
    response = client.get("/partners/?_export=csv")
    assert slots_taken() == 1
    response.close()
    assert slots_taken() == 0


@override_settings(EXPORT_CONCURRENCY=2)
def test_downloads_left_unread_in_this_thread_do_not_lock_exports_out(client, db):
    """A thread serves one request at a time: its earlier download has ended."""
    for _ in range(4):
        assert client.get("/partners/?_export=csv").status_code == 200
    assert slots_taken() == 1


def test_a_failing_cache_lets_exports_through(client, db):
    factories.PartnerFactory(name="Cached partner")
    with mock.patch.object(cache, "add", side_effect=ConnectionError("cache down")):
        response = client.get("/partners/?_export=csv")
        assert "Cached partner" in body_of(response).decode()
        assert client.get("/partners/?_export=xlsx").status_code == 200


# Queries ----------------------------------------------------------------------------------


def export_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        assert response.status_code == 200
        body_of(response)
    return len(context)


def all_export_queries(client, viewer) -> dict[tuple[str, str, bool], int]:
    """Queries of each export, by page, format and whether signed in."""
    counts = {}
    for signed_in in (False, True):
        if signed_in:
            client.force_login(viewer)
        for page in ("commitments", "meetings", "partners"):
            for export_format in ("csv", "xlsx"):
                url = f"/{page}/?_export={export_format}"
                counts[page, export_format, signed_in] = export_queries(client, url)
        client.logout()
    return counts


def test_export_queries_do_not_grow_with_the_rows(client, viewer):
    partner, topic = factories.PartnerFactory(), factories.TopicFactory()
    # The citations' content types are looked up once per process, not once per export.
    ContentType.objects.get_for_models(Commitment, ComplaintCount, Meeting, Milestone, Partner)
    counts = []
    for batch in (30, 270):
        for commitment in factories.CommitmentFactory.create_batch(batch, made_by=partner):
            commitment.made_to.add(partner)
            commitment.topics.add(topic)
        factories.MeetingFactory.create_batch(batch // 10, partners=[partner], topics=[topic])
        counts.append(all_export_queries(client, viewer))
    assert counts[0] == counts[1]
    # Rows, their two prefetches and the citations import reads; signed in, the session, user
    # and role too.
    for (*_, signed_in), queries in counts[0].items():
        assert queries <= 4 + (6 if signed_in else 0)


# Hostile input ------------------------------------------------------------------------------

HOSTILE_QUERIES = [
    "sort=;drop",
    "sort=%3Bdrop%20table",
    "sort=password",
    "sort=-",
    "sort=%00",
    "per_page=-1",
    "per_page=99999999999999999999",
    "page=-1",
    "page=abc",
    "date_from=nope",
    "q=%00",
    "_export=CSV",
    "_export=csv&_export=xlsx",
]


@pytest.mark.parametrize("kind", URLS)
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_hostile_query_strings_never_give_a_500(client, viewer, records, kind, export_format):
    for signed_in in (False, True):
        if signed_in:
            client.force_login(viewer)
        for query in HOSTILE_QUERIES:
            response = client.get(f"{URLS[kind]}?_export={export_format}&{query}")
            assert response.status_code in (200, 400), query
            body_of(response)
