"""The SVG charts: titled, described, labelled, escaped, with a table of the same data."""

import datetime
import xml.etree.ElementTree as ET

from cooperation import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart):
    return ET.fromstring(str(chart.svg))


def texts(root):
    return [el.text for el in root.iter(f"{SVG}text")]


def test_complaints_chart_has_title_description_axes_and_table():
    chart = charts.complaints_per_period_chart([("18 Aug – 18 Sep 2022", 289, 275)])
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Complaints received per period"
    assert "289" in root.find(f"{SVG}desc").text
    labels = texts(root)
    assert "Complaints" in labels and "Period" in labels
    assert chart.rows == [("18 Aug – 18 Sep 2022", 289, 275)]
    html = chart.html()
    assert "<table" in html and "<svg" in html and "<caption>" in html


def test_chart_text_is_escaped():
    chart = charts.commitments_by_status_chart([("<script>alert(1)</script> & co", 3)])
    assert "<script>" not in str(chart.svg)
    assert "<script>" not in chart.html()
    parse(chart)  # still well-formed XML


def test_charts_have_no_style_attributes_so_they_pass_the_content_security_policy():
    chart = charts.meetings_per_partner_year_chart([("France", 2022, 3), ("IOM", 2023, 1)])
    assert "style=" not in str(chart.svg)


def test_empty_data_gives_a_message_not_an_empty_drawing():
    for chart in (
        charts.complaints_per_period_chart([]),
        charts.commitments_by_status_chart([("Announced", 0)]),
        charts.meetings_per_partner_year_chart([]),
        charts.timeline_lanes_chart([]),
    ):
        assert chart.empty
        assert "<svg" not in chart.html()
        assert chart.description


def test_meetings_grid_fills_missing_years_with_zero_in_the_table():
    chart = charts.meetings_per_partner_year_chart([("France", 2022, 3), ("IOM", 2023, 1)])
    assert ("France", 2023, 0) in chart.rows
    assert ("IOM", 2022, 0) in chart.rows


def test_lanes_chart_draws_dated_entries_and_counts_the_undated():
    entries = [
        charts.LaneEntry("France", datetime.date(2022, 11, 1), None, "meeting", "Met", "/m/"),
        charts.LaneEntry(
            "Ministry",
            datetime.date(2022, 8, 18),
            datetime.date(2022, 9, 18),
            "complaints",
            "289 complaints",
            None,
        ),  # fmt: skip
        charts.LaneEntry("IOM", None, None, "meeting", "Undated", "/u/"),
    ]
    chart = charts.timeline_lanes_chart(entries)
    root = parse(chart)
    assert "without a known date" in root.find(f"{SVG}desc").text
    assert {"France", "Ministry"} <= set(texts(root))
    assert "Date" in texts(root)
    assert len(chart.rows) == 2
    assert 'href="/m/"' in str(chart.svg)


def test_lanes_chart_folds_extra_partners_into_one_lane():
    day = datetime.date(2022, 1, 1)
    entries = [charts.LaneEntry(f"Partner {i}", day, None, "meeting", "x") for i in range(15)]
    root = parse(charts.timeline_lanes_chart(entries, max_lanes=5))
    assert "Other partners" in texts(root)


def test_nice_ticks():
    assert charts.nice_ticks(289) == [0, 100, 200, 300]
    assert charts.nice_ticks(6) == [0, 2, 4, 6]
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(3) == [0, 1, 2, 3]
    assert all(isinstance(tick, int) for tick in charts.nice_ticks(3))
