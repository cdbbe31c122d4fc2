"""Small counts on public figures: a public complaint count below PUBLIC_MIN_COUNT shows to a
reader who is not signed in as "fewer than k", never as the number, on every output (pages,
the table sorted and filtered, CSV and Excel exports, charts, feeds, search, the API, public
PDF reports), and no total shown beside it gives it away by subtraction. Signed-in readers
see exact figures.

The walk raises k so that the hidden counts can be distinctive five-digit numbers, found
however a page groups or writes its digits; the default k (11) and an override are checked
on counts of 7 and 3 through the outputs that give numbers plainly (the API, the CSV).
"""

import csv
import datetime
import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from cooperation import charts, small_counts
from cooperation.models import ReportAudience, ReportStatus, Visibility
from cooperation.reports.periods import month_parse
from tests import factories
from tests.test_visibility import GROUPED_DIGITS

pytestmark = pytest.mark.django_db

K = 60000  # the walk's threshold: the hidden counts below are distinctive numbers under it
SHOWN = 975310  # a public count above k, with a share found true of 25%
HIDDEN_OCTOBER = 52918  # public, below k, alone in its period
HIDDEN_NOVEMBER = 31407  # public, below k, beside SHOWN in November; 61.3% found true
HIDDEN_SHARE = Decimal("0.613")
INTERNAL = 27182  # internal to the owner: its staff see it, anonymous visitors never do
HIDDEN = (HIDDEN_OCTOBER, HIDDEN_NOVEMBER)
# What a total that counted a hidden figure would show, and the hidden found-true counts.
GIVEAWAYS = (
    HIDDEN_OCTOBER + HIDDEN_NOVEMBER,
    round(HIDDEN_NOVEMBER * HIDDEN_SHARE),
)
NOVEMBER_2022 = month_parse("2022-11")
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
# A number standing alone: not part of a word, a hexadecimal hash or a token.
NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?![0-9A-Za-z])")


# Reading numbers back, however an output wrote them.


def numbers_in(text: str) -> set[int]:
    """Every number in a text: Khmer digits read as ASCII, thousands separators taken out."""
    plain = GROUPED_DIGITS.sub("", text.translate(KHMER_DIGITS))
    return {int(n) for n in NUMBER.findall(plain)}


def leaks(text: str, hidden: int) -> list[str]:
    """How a text gives a hidden count away: as a number of its own, or as the difference of
    two numbers it shows (a total with the hidden count in it, beside the rows without)."""
    numbers = numbers_in(text)
    found = []
    if hidden in numbers:
        found.append(f"{hidden} shown")
    found += [f"{n} - {n - hidden} = {hidden}" for n in numbers if n - hidden in numbers]
    return found


def assert_hides_small_counts(text: str, where: str) -> None:
    for value in (*HIDDEN, *GIVEAWAYS):
        assert not leaks(text, value), f"{where}: {leaks(text, value)}"
    for share in ("61.3", "61,3", "0.613", "61%", "61 %"):
        assert share not in text.translate(KHMER_DIGITS), f"{where}: share {share}"


def test_the_subtraction_check_can_fail():
    assert leaks(f"Total {SHOWN + HIDDEN_NOVEMBER:,}; rows: {SHOWN:,}", HIDDEN_NOVEMBER)
    assert leaks(f"{HIDDEN_NOVEMBER:,}".replace(",", "\u202f"), HIDDEN_NOVEMBER)
    assert leaks("៣១.៤០៧ បណ្ដឹង", HIDDEN_NOVEMBER)
    assert not leaks(f"Total {SHOWN:,}; rows: {SHOWN:,}", HIDDEN_NOVEMBER)
    assert not leaks(f"hash a{HIDDEN_NOVEMBER}f", HIDDEN_NOVEMBER)


def body_of(response) -> str:
    """A response's text: a page, a feed, JSON, a CSV (which streams) or a workbook's cells."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            " | ".join("" if cell is None else str(cell) for cell in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return response.content.decode()


def pdf_text(report) -> str:
    assert report.status == ReportStatus.READY, report.error
    return subprocess.run(
        ["pdftotext", "-layout", report.file.path, "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


# The records.


@pytest.fixture
def scene(settings):
    settings.PUBLIC_MIN_COUNT = K
    ministry = factories.PartnerFactory(name="Ministry of Interior", slug="ministry-of-interior")
    source = factories.SourceFactory(title="Complaints bulletin")
    meeting = factories.MeetingFactory(
        title="Review of complaint figures",
        date=datetime.date(2022, 11, 10),
        partners=[ministry],
    )

    def count(value, start, end, **fields):
        record = factories.ComplaintCountFactory(
            received_by=ministry,
            count=value,
            period_start=start,
            period_end=end,
            meeting=meeting,
            **fields,
        )
        factories.CitationFactory(record=record, source=source)
        return record

    november = (datetime.date(2022, 11, 1), datetime.date(2022, 11, 30))
    october = (datetime.date(2022, 10, 1), datetime.date(2022, 10, 31))
    shown = count(SHOWN, *november, verified_share=Decimal("0.25"))
    hidden_october = count(HIDDEN_OCTOBER, *october)
    hidden_november = count(HIDDEN_NOVEMBER, *november, verified_share=HIDDEN_SHARE)
    internal = count(INTERNAL, *november, visibility=Visibility.INTERNAL)
    return {
        "ministry": ministry,
        "source": source,
        "meeting": meeting,
        "shown": shown,
        "hidden": [hidden_october, hidden_november],
        "internal": internal,
    }


def outputs(scene) -> dict[str, tuple[str, bool]]:
    """Every output that shows complaint figures: its address, and whether it shows a small
    count (as "fewer than k") to a reader not signed in."""
    listed = reverse("cooperation:complaintcount-list")
    api = "/api/complaint-counts/"
    hidden_october, hidden_november = scene["hidden"]
    return {
        "dashboard": (reverse("cooperation:dashboard"), True),
        "list": (listed, True),
        "list by count": (listed + "?sort=count", True),
        "list by count, descending": (listed + "?sort=-count", True),
        "list by share": (listed + "?sort=verified_share", True),
        "list, share known": (listed + "?verified=true", False),
        "list, share not known": (listed + "?verified=false", True),
        "list, one period": (listed + "?date_from=2022-11-01&date_to=2022-11-30", True),
        "detail, shown": (scene["shown"].get_absolute_url(), False),
        "detail, hidden in October": (hidden_october.get_absolute_url(), True),
        "detail, hidden in November": (hidden_november.get_absolute_url(), True),
        "partner profile": (scene["ministry"].get_absolute_url(), True),
        "meeting page": (scene["meeting"].get_absolute_url(), True),
        "source page": (scene["source"].get_absolute_url(), True),
        "timeline": (reverse("cooperation:timeline"), True),
        "timeline of complaints": (reverse("cooperation:timeline") + "?kind=complaints", True),
        "atom feed": (reverse("cooperation:timeline-feed"), True),
        "calendar": (reverse("cooperation:meeting-ics"), False),
        "search": (reverse("cooperation:search") + "?q=Interior", False),
        "csv": (listed + "?_export=csv", True),
        "csv sorted by count": (listed + "?_export=csv&sort=count", True),
        "csv, hxl": (listed + "?_export=csv&hxl=1", True),
        "xlsx": (listed + "?_export=xlsx", True),
        "api list": (api, False),
        "api list, share known": (api + "?verified=true", False),
        "api detail, hidden": (f"{api}{hidden_november.pk}/", False),
        "api detail, shown": (f"{api}{scene['shown'].pk}/", False),
    }


def fewer_than(*, export: bool = False) -> str:
    return small_counts.fewer_than(native_digits=not export)


# Anonymous visitors.


def test_no_output_shows_an_anonymous_visitor_a_small_count(client, scene):
    without_shown = {"detail, hidden in October", "detail, hidden in November"}
    without_shown |= {"list, share not known", "api detail, hidden", "calendar", "search"}
    for name, (url, shows_small) in outputs(scene).items():
        response = client.get(url)
        assert response.status_code == 200, name
        text = body_of(response)
        assert_hides_small_counts(text, name)
        assert INTERNAL not in numbers_in(text), name
        if shows_small:
            assert fewer_than(export="csv" in name or "xlsx" in name) in text, name
        if name not in without_shown:
            assert SHOWN in numbers_in(text), name


def test_totals_shown_anonymously_leave_the_small_counts_out_and_say_so(client, scene):
    dashboard = body_of(client.get(reverse("cooperation:dashboard")))
    # The chart's November bar is the shown count alone; October's only count is hidden.
    assert SHOWN in numbers_in(dashboard)
    assert SHOWN + HIDDEN_NOVEMBER not in numbers_in(dashboard)
    with translation.override("en"):
        assert small_counts.excluded_note(2) in dashboard  # "excluding 2 figures below 60,000"
    # The latest figure on the dashboard is November's hidden one.
    assert fewer_than() in dashboard


def test_a_hidden_count_hides_its_share_and_what_was_found_true(client, scene):
    hidden = scene["hidden"][1]
    page = body_of(client.get(hidden.get_absolute_url()))
    assert "61.3" not in page and str(round(HIDDEN_NOVEMBER * HIDDEN_SHARE)) not in page
    body = client.get(f"/api/complaint-counts/{hidden.pk}/").json()
    assert body["count"] is None and body["count_below"] == K
    assert body["verified_share"] is None
    shown = client.get(f"/api/complaint-counts/{scene['shown'].pk}/").json()
    assert shown["count"] == SHOWN and shown["count_below"] is None
    assert shown["verified_share"] == "0.250"


def test_sorting_by_count_keeps_the_hidden_counts_together_in_no_order_of_theirs(client, scene):
    hidden_october, hidden_november = scene["hidden"]  # by primary key; by count, the other way
    listed = reverse("cooperation:complaintcount-list")

    def rows(sort):
        page = client.get(f"{listed}?sort={sort}").content.decode()
        return [int(pk) for pk in re.findall(r'href="/complaints/(\d+)/"', page)]

    shown = scene["shown"].pk
    assert rows("count") == [hidden_october.pk, hidden_november.pk, shown]
    assert rows("-count") == [shown, hidden_november.pk, hidden_october.pk]
    # A signed-in reader's order is by the counts themselves.


def test_filtering_on_the_share_treats_a_hidden_share_as_not_known(client, scene):
    def ids(query):
        return {
            row["id"] for row in client.get(f"/api/complaint-counts/?{query}").json()["results"]
        }

    hidden_october, hidden_november = scene["hidden"]
    assert ids("verified=true") == {scene["shown"].pk}
    assert ids("verified=false") == {hidden_october.pk, hidden_november.pk}


def test_the_schema_documents_count_below(client, db):
    schema = client.get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["ComplaintCount"]["properties"]
    assert "count_below" in fields and "threshold" in fields["count_below"]["description"]
    assert "null" in str(fields["count"]["type"])


def test_a_public_report_pdf_shows_no_small_count(scene, build):
    period = build(period=NOVEMBER_2022, audience=ReportAudience.PUBLIC)
    dossier = build(
        dossier=True,
        partner=scene["ministry"],
        audience=ReportAudience.PUBLIC,
        today=datetime.date(2023, 1, 1),
    )
    for name, report in [("period report", period), ("dossier", dossier)]:
        text = pdf_text(report)
        assert_hides_small_counts(text, name)
        assert SHOWN in numbers_in(text), name
        folded = " ".join(text.split())
        assert "fewer than 60,000" in folded, name
        assert "excluding 2 figures below 60,000" in folded, name


def test_an_organisation_report_pdf_keeps_exact_figures(scene, build):
    report = build(
        period=NOVEMBER_2022,
        audience=ReportAudience.ORGANISATION,
        organisation=factories.default_owner(),
    )
    numbers = numbers_in(pdf_text(report))
    assert {SHOWN, HIDDEN_NOVEMBER, INTERNAL} <= numbers
    assert SHOWN + HIDDEN_OCTOBER + HIDDEN_NOVEMBER + INTERNAL in numbers  # the headline total


# Signed-in readers.


def test_signed_in_readers_see_exact_figures_everywhere(viewer_client, scene):
    expected = {SHOWN, *HIDDEN, INTERNAL}
    for name in ["list", "list by count", "csv", "xlsx", "api list"]:
        url, _shows_small = outputs(scene)[name]
        text = body_of(viewer_client.get(url))
        assert expected <= numbers_in(text), name
        assert small_counts.fewer_than(native_digits=False) not in text, name
        assert small_counts.fewer_than() not in text, name
    for record in [*scene["hidden"], scene["internal"]]:
        page = body_of(viewer_client.get(record.get_absolute_url()))
        assert record.count in numbers_in(page)
        assert fewer_than() not in page
    hidden = viewer_client.get(f"/api/complaint-counts/{scene['hidden'][1].pk}/").json()
    assert hidden["count"] == HIDDEN_NOVEMBER and hidden["count_below"] is None
    assert hidden["verified_share"] == "0.613"
    dashboard = body_of(viewer_client.get(reverse("cooperation:dashboard")))
    assert SHOWN + HIDDEN_NOVEMBER + INTERNAL in numbers_in(dashboard)  # November, in full
    assert "below" not in dashboard


def test_signed_in_readers_sort_by_the_counts_themselves(viewer_client, scene):
    page = viewer_client.get(reverse("cooperation:complaintcount-list") + "?sort=count")
    order = [int(pk) for pk in re.findall(r'href="/complaints/(\d+)/"', page.content.decode())]
    hidden_october, hidden_november = scene["hidden"]
    by_count = [scene["internal"].pk, hidden_november.pk, hidden_october.pk, scene["shown"].pk]
    assert order == by_count


# The default threshold, an override, and the reader's language.


def _small_scene(*values):
    ministry = factories.PartnerFactory(name="Ministry of Interior")
    return [factories.ComplaintCountFactory(received_by=ministry, count=value) for value in values]


def test_by_default_counts_below_eleven_are_withheld(client, db):
    assert small_counts.threshold() == 11
    big, seven, three = _small_scene(SHOWN, 7, 3)
    listed = client.get("/api/complaint-counts/").json()["results"]
    counts = {row["id"]: (row["count"], row["count_below"]) for row in listed}
    assert counts == {big.pk: (SHOWN, None), seven.pk: (None, 11), three.pk: (None, 11)}
    export = client.get(reverse("cooperation:complaintcount-list") + "?_export=csv")
    rows = list(csv.reader(io.StringIO(body_of(export))))
    column = rows[0].index("Complaints")
    assert sorted(row[column] for row in rows[1:]) == [str(SHOWN), *["fewer than 11"] * 2]
    imported = rows[0].index("count")  # the import column an export carries
    assert sorted(row[imported] for row in rows[1:]) == ["", "", str(SHOWN)]
    # The one period's total is the shown count alone, and says what it leaves out.
    dashboard = body_of(client.get(reverse("cooperation:dashboard")))
    assert SHOWN in numbers_in(dashboard) and SHOWN + 10 not in numbers_in(dashboard)
    assert "excluding 2 figures below 11" in dashboard
    page = client.get(seven.get_absolute_url()).content.decode()
    assert "fewer than 11" in page and ">7<" not in page


def test_a_lower_threshold_shows_the_counts_at_or_above_it(client, settings, db):
    settings.PUBLIC_MIN_COUNT = 5
    seven, five, three = _small_scene(7, 5, 3)
    listed = client.get("/api/complaint-counts/").json()["results"]
    counts = {row["id"]: (row["count"], row["count_below"]) for row in listed}
    assert counts == {seven.pk: (7, None), five.pk: (5, None), three.pk: (None, 5)}
    page = client.get(reverse("cooperation:complaintcount-list")).content.decode()
    assert "fewer than 5" in page and "fewer than 11" not in page


@pytest.mark.parametrize("language", ["fr", "km"])
def test_fewer_than_is_written_in_the_readers_language(client, settings, db, language):
    settings.PUBLIC_MIN_COUNT = 1200  # grouped, and in Khmer digits, the way pages write counts
    (hidden,) = _small_scene(HIDDEN_NOVEMBER % 1000)
    page = client.get(hidden.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    with translation.override(language):
        expected = small_counts.fewer_than()
    assert expected in page
    assert expected != "fewer than 1200"  # grouped ("1 200") or in Khmer digits ("១.២០០")
    assert HIDDEN_NOVEMBER % 1000 not in numbers_in(page)


def test_the_complaint_pages_say_how_small_counts_show_to_those_who_see_them_so(
    client, viewer, scene
):
    listed = reverse("cooperation:complaintcount-list")
    hidden = scene["hidden"][1].get_absolute_url()
    with translation.override("en"):
        note = small_counts.reader_note(None)
    assert "fewer than 60,000" in note
    for url in (listed, hidden):
        assert note in client.get(url).content.decode()
    client.force_login(viewer)
    for url in (listed, hidden):
        assert "never as the number" not in client.get(url).content.decode()


def test_the_complaints_chart_says_what_its_sums_leave_out(settings):
    settings.PUBLIC_MIN_COUNT = 11
    chart = charts.complaints_per_period_chart([("Nov 2022", SHOWN, None)], excluded=2)
    assert "excluding 2 figures below 11" in chart.description
    assert "Excluding 2 figures below 11" in chart.html()
    assert "below" not in charts.complaints_per_period_chart([("Nov 2022", SHOWN, None)]).html()
