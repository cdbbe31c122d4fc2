"""Dates and numbers in the reader's language: "1 Nov 2022" in English, "1 nov. 2022" and
"95 %" in French, Khmer digits and month names in Khmer — while citations, record text,
links, form values and exports keep the digits they were given."""

import csv
import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

from django.test import Client
from django.urls import reverse
from django.utils import translation

from cooperation import charts, dates, numerals
from cooperation.models import ComplaintCount, Meeting, Partner
from cooperation.reports.summary import count_format
from tests import factories

ASCII_DIGIT = re.compile(r"[0-9]")
KHMER_DIGIT = re.compile(r"[០-៩]")
NNBSP = "\u202f"

NOV_1 = datetime.date(2022, 11, 1)
AUG_18, SEP_18 = datetime.date(2022, 8, 18), datetime.date(2022, 9, 18)


class _Texts(HTMLParser):
    """The text of every element named `tag` (with `css_class` among its classes, if given)."""

    def __init__(self, tag: str, css_class: str | None):
        super().__init__()
        self.tag, self.css_class = tag, css_class
        self.depth = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag == self.tag
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag == self.tag and (self.css_class is None or self.css_class in classes):
            self.depth = 1
            self.found.append("")

    def handle_endtag(self, tag):
        if self.depth and tag == self.tag:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.found[-1] += data


def texts(response, tag: str, css_class: str | None = None) -> list[str]:
    parser = _Texts(tag, css_class)
    parser.feed(response.content.decode())
    # Folds ASCII white space only: a narrow no-break space is part of what is tested.
    return [re.sub(r"[ \t\r\n]+", " ", text).strip() for text in parser.found]


def attributes(response, name: str) -> list[str]:
    return re.findall(rf'\b{name}="([^"]*)"', response.content.decode())


def in_khmer(text: str) -> bool:
    """Khmer digits and no ASCII digit."""
    return bool(KHMER_DIGIT.search(text)) and not ASCII_DIGIT.search(text)


def get(path: str, language: str, client: Client | None = None):
    response = (client or Client()).get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, path
    return response


# The formatting functions


def test_english_dates_and_numbers_are_unchanged():
    with translation.override("en"):
        assert dates.format_uncertain_date(NOV_1, "day", "year") == "1 Nov 2022, year inferred"
        assert dates.format_uncertain_date(NOV_1, "month") == "Nov 2022"
        assert dates.format_uncertain_date(NOV_1, "approximate") == "about 1 Nov 2022"
        assert dates.format_uncertain_date(NOV_1, "year") == "2022"
        assert dates.format_period(AUG_18, SEP_18, "year") == "18 Aug – 18 Sep 2022, year inferred"
        assert dates.format_period(datetime.date(2021, 12, 1), SEP_18) == "1 Dec 2021 – 18 Sep 2022"
        assert numerals.number(1234567) == "1,234,567"
        assert numerals.percent(0.95) == "95%"
        assert numerals.percent(Decimal("0.955"), 1) == "95.5%"
        assert count_format(1200) == "1,200"


def test_french_dates_use_french_month_forms_not_three_letters():
    with translation.override("fr"):
        assert dates.format_period(AUG_18, SEP_18) == "18 août – 18 sept. 2022"
        assert dates.format_day(AUG_18) == "18 août 2022"
        assert dates.format_uncertain_date(NOV_1, "day", "year") == "1 nov. 2022, année déduite"
        assert dates.format_uncertain_date(datetime.date(2022, 5, 1), "month") == "mai 2022"
        assert "Aoû" not in dates.format_day(AUG_18)


def test_french_numbers_group_and_mark_percent_with_narrow_no_break_spaces():
    with translation.override("fr"):
        assert numerals.number(1234567) == f"1{NNBSP}234{NNBSP}567"
        assert numerals.number(Decimal("95.25"), 1) == "95,2"
        assert numerals.percent(0.95) == f"95{NNBSP}%"
        assert numerals.percent(Decimal("0.955"), 1) == f"95,5{NNBSP}%"
        assert count_format(1200) == f"1{NNBSP}200"


def test_khmer_dates_have_khmer_digits_and_month_names():
    with translation.override("km"):
        assert dates.format_day(NOV_1) == "១ វិច្ឆិកា ២០២២"
        assert dates.format_period(AUG_18, SEP_18) == "១៨ សីហា – ១៨ កញ្ញា ២០២២"
        assert dates.format_uncertain_date(NOV_1, "year") == "២០២២"
        inferred = dates.format_uncertain_date(NOV_1, "day", "year")
        assert inferred.startswith("១ វិច្ឆិកា ២០២២") and in_khmer(inferred)


def test_khmer_numbers_have_khmer_digits_grouped():
    with translation.override("km"):
        assert numerals.number(1234567) == "១.២៣៤.៥៦៧"
        assert numerals.percent(0.95) == "៩៥%"
        assert count_format(1200) == "១.២០០"
        assert numerals.native_digits("Page 12") == "Page ១២"


def test_exports_ask_for_ascii_digits_in_any_language():
    with translation.override("km"):
        text = dates.format_period(AUG_18, SEP_18, native_digits=False)
    assert text == "18 សីហា – 18 កញ្ញា 2022"


def test_with_no_language_active_dates_are_written_in_english():
    with translation.override(None):
        assert dates.format_uncertain_date(NOV_1, "day", "year") == "1 Nov 2022, year inferred"


def test_khmer_chart_labels_and_ticks_have_khmer_digits_and_keep_the_data():
    with translation.override("km"):
        chart = charts.complaints_per_period_chart([("period", 1200, 300)])
        ticks = charts._axis_ticks(datetime.date(2022, 1, 1), datetime.date(2022, 6, 30))
        table = chart.table_html()
    labels = re.findall(r"<text [^>]*>([^<]*)</text>", chart.svg)
    numbers = [label for label in labels if KHMER_DIGIT.search(label)]
    assert "១.២០០" in numbers and "០" in numbers
    assert not [label for label in labels if ASCII_DIGIT.search(label)]
    assert chart.rows == [("period", 1200, 300)]  # the data itself stays numbers
    assert "<td>១២០០</td>" in table
    assert [label for _day, label in ticks] == ["កុម្ភៈ", "មិនា", "មេសា", "ឧសភា", "មិថុនា"]


# Khmer pages


def test_khmer_dashboard_shows_khmer_digits_in_figures_dates_and_charts(seed):
    response = get("/", "km")
    figures = texts(response, "span", "figure-value")
    assert figures and all(in_khmer(figure) for figure in figures), figures
    assert "២៨៩" in figures
    note = texts(response, "span", "figure-note")[0]
    assert note.startswith("៩៥%") and in_khmer(note)
    times = texts(response, "time")
    assert times and all(in_khmer(time) for time in times if time != "—"), times
    assert "១ វិច្ឆិកា ២០២២" in " ".join(times)
    chart_labels = [t for t in texts(response, "text") if KHMER_DIGIT.search(t)]
    assert chart_labels and not [t for t in texts(response, "text") if ASCII_DIGIT.search(t)]
    # What is not ours to write keeps its digits: record titles, ISO datetimes, addresses.
    # The record's own text keeps its digits (and, untranslated, says so).
    assert any(
        title.startswith("Cambodia’s 2023 national election")
        for title in texts(response, "a", "timeline-title")
    )
    assert 'datetime="2022-11-01"' in response.content.decode()
    assert all(not KHMER_DIGIT.search(value) for value in attributes(response, "href"))


def test_khmer_complaint_page_writes_its_figures_in_khmer_but_quotes_the_source_as_is(seed):
    count = ComplaintCount.objects.get(count=289)
    response = get(count.get_absolute_url(), "km")
    figures = texts(response, "span", "figure-value")
    assert figures == ["២៨៩", "≈ ៩៥,០%", "២៧៥"]
    assert in_khmer(texts(response, "h1")[0])
    assert in_khmer(texts(response, "title")[0].split("|")[0])
    passages = " ".join(texts(response, "blockquote"))
    assert "a total of 289 complaints" in passages
    assert "about 95 per cent true" in passages
    assert not KHMER_DIGIT.search(passages)
    assert "(year 2022, inferred)" in texts(response, "p", "date-note")[0]  # record text


def test_khmer_list_pages_count_rows_and_pages_in_khmer_and_link_in_ascii(seed):
    response = get("/partners/?per_page=5&page=2", "km")
    cells = texts(response, "td", "num")
    assert cells and all(in_khmer(cell) for cell in cells), cells
    status = texts(response, "p", "pagination-status")[0]
    assert in_khmer(status) and "២" in status and "១៣" in status
    assert "២" in texts(response, "span", "current")
    links = [href for href in attributes(response, "href") if "page=" in href]
    assert links and all(ASCII_DIGIT.search(h) and not KHMER_DIGIT.search(h) for h in links)
    assert texts(get("/partners/", "km"), "p", "pagination-status") == ["១៣ ជួរដេក"]


def test_khmer_timeline_writes_years_entry_numbers_and_chart_in_khmer(seed):
    response = get("/timeline/", "km")
    years = texts(response, "h3", "timeline-year-label")
    assert "២០២២" in years and not [y for y in years if ASCII_DIGIT.search(y)]
    assert in_khmer(texts(response, "h2", "section-title")[0])
    assert not [t for t in texts(response, "text") if ASCII_DIGIT.search(t)]
    assert "បានទទួលពាក្យបណ្តឹង ២៨៩" in texts(response, "a", "timeline-title")


def test_khmer_partner_page_shows_khmer_counts_and_dates(seed):
    partner = Partner.objects.get(slug="ministry-of-interior")
    response = get(partner.get_absolute_url(), "km")
    figures = texts(response, "span", "figure-value")
    # meetings, open, last contact; the brief's open, overdue, due soon, stale
    assert len(figures) == 7 and all(in_khmer(f) for f in figures), figures
    assert all(in_khmer(count) for count in texts(response, "span", "tag-count"))
    assert f"?partner={partner.slug}" in response.content.decode()


def test_khmer_meeting_page_dates_in_khmer_and_citations_as_given(seed):
    meeting = Meeting.objects.get(date=NOV_1)
    response = get(meeting.get_absolute_url(), "km")
    assert texts(response, "time")[0].startswith("១ វិច្ឆិកា ២០២២")
    assert "២៨៩" in " ".join(texts(response, "ul", "record-list"))
    assert "on November 1 to discuss" in " ".join(texts(response, "blockquote"))


def test_a_khmer_reader_types_and_sees_ascii_digits_in_the_forms(seed):
    response = get("/meetings/?date_from=2022-11-01&date_to=2022-11-30", "km")
    body = response.content.decode()
    assert 'value="2022-11-01"' in body and 'value="2022-11-30"' in body
    assert "Sar Kheng meets French ambassador Jacques Pellet" in body
    assert "Sar Kheng meets IOM" not in body  # the filter read the typed dates
    search = get("/search/?q=2022-11", "km").content.decode()
    assert 'value="2022-11"' in search and "“2022-11”" in search


def test_khmer_exports_keep_ascii_digits(seed):
    response = Client().get("/complaints/?_export=csv", HTTP_ACCEPT_LANGUAGE="km")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert not KHMER_DIGIT.search(body)
    rows = list(csv.reader(io.StringIO(body)))
    assert ["18 សីហា – 18 កញ្ញា 2022 (ឆ្នាំសន្និដ្ឋាន)", "289"] == [rows[1][0], rows[1][2]]


def test_a_cached_page_keeps_the_digits_of_its_language(seed, settings):
    settings.PAGE_CACHE_SECONDS = 60
    for language, figure in (("km", "២៨៩"), ("en", "289"), ("km", "២៨៩"), ("fr", "289")):
        assert figure in texts(get("/", language), "span", "figure-value"), language


def test_a_signed_in_khmer_readers_cached_fragments_are_khmer(viewer_client, settings):
    settings.PAGE_CACHE_SECONDS = 60
    factories.ComplaintCountFactory(count=1234)
    english = texts(get("/complaints/", "en", viewer_client), "td", "num")
    khmer = texts(get("/complaints/", "km", viewer_client), "td", "num")
    assert "1,234" in english and "១.២៣៤" in khmer


# French and English pages


def test_french_dashboard_writes_french_dates_and_percentages(seed):
    body = get("/", "fr").content.decode()
    assert "18 août – 18 sept. 2022, année déduite" in body
    assert f"95{NNBSP}% " in body
    assert "1 nov. 2022, année déduite" in body
    assert "Aoû" not in body and "Nov " not in body


def test_french_tables_group_thousands_and_write_decimal_commas(db):
    factories.ComplaintCountFactory(count=12345, verified_share=Decimal("0.955"))
    cells = texts(get("/complaints/", "fr"), "td", "num")
    assert f"12{NNBSP}345" in cells and f"95,5{NNBSP}%" in cells


def test_english_pages_are_unchanged(seed):
    response = get("/", "en")
    body = response.content.decode()
    assert "1 Nov 2022, year inferred" in body
    assert "18 Aug – 18 Sep 2022, year inferred" in body
    assert "95% found true (about 275)" in body
    assert "289" in texts(response, "span", "figure-value")
    count = ComplaintCount.objects.get(count=289)
    detail = get(count.get_absolute_url(), "en")
    assert texts(detail, "span", "figure-value") == ["289", "≈ 95.0%", "275"]
    assert texts(detail, "title")[0].startswith("289 complaints, 18 Aug – 18 Sep 2022")
    assert get(reverse("cooperation:partner-list"), "en").status_code == 200
