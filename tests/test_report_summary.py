"""Reports' summary functions on hand-made plain rows: no database, no records.

`collect.py` reads the listed rows and the database's tallies of the rest; these tests feed
`summary.py` what it would read and check what the report makes of them: figures, the
timeline's order, chart inputs, the lanes chart's marks, partner sections, listed sections.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from cooperation.models import CommitmentStatus
from cooperation.reports.periods import month_parse
from cooperation.reports.summary import (
    IN,
    LANE_MARKS,
    LISTED_ROWS,
    MAYBE,
    UNDATED,
    Records,
    Tallies,
    chart_data_build,
    commitment_status_on,
    count_format,
    data_hash,
    headline_count,
    lane_marks_build,
    partner_sections_build,
    percent_format,
    placement_find,
    report_data_build,
    rows_chronological,
    status_changes,
    timeline_build,
    updates_in_period,
)

NOVEMBER = month_parse("2022-11")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def subject(whole_record=False):
    return {"whole_record": whole_record}


def meeting(id, title, date="2022-11-10", placement=IN, partners=("MOI",)):
    return {
        "id": id,
        "title": title,
        "date": date,
        "date_display": date or "date unknown",
        "placement": placement,
        "partners": list(partners),
        "sources": [1],
    }


def milestone(id, title, date="2022-11-10", placement=IN, partners=("MOI",)):
    return {**meeting(id, title, date, placement, partners), "kind": "Law"}


def update(commitment, status, date="2022-11-20", placement=IN, initial=False, id=0):
    return {
        "id": id,
        "commitment": commitment,
        "made_by": "MOI",
        "date": date,
        "date_display": date,
        "placement": placement,
        "status": str(CommitmentStatus(status).label),
        "status_code": status,
        "initial": initial,
        "sources": [],
    }


def commitment(
    id,
    title,
    status=CommitmentStatus.ANNOUNCED,
    overdue=False,
    date="2022-11-05",
    placement=IN,
    made_by="MOI",
    made_by_id=1,
    made_to=(),
    made_to_ids=(),
):
    return {
        "id": id,
        "title": title,
        "date": date,
        "date_display": date,
        "placement": placement,
        "made_by": made_by,
        "made_by_id": made_by_id,
        "made_to": list(made_to),
        "made_to_ids": list(made_to_ids),
        "status": str(CommitmentStatus(status).label),
        "status_code": status,
        "overdue": overdue,
        "history": [],
        "sources": [],
    }


def complaint_row(count, partner="MOI", start="2022-01-01"):
    return {
        "received_by": partner,
        "period_start": start,
        "period_display": "January – June 2022",
        "count_display": count_format(count),
        "sources": [],
    }


def group(count, partner="MOI", partner_id=1, share=None, approximate=False, rows=1, **period):
    """Complaint counts of one period, added up as the database does."""
    start = period.get("start", datetime.date(2022, 1, 1))
    return {
        "partner_id": partner_id,
        "partner": partner,
        "start": start,
        "end": period.get("end", datetime.date(2022, 6, 30)),
        "label": period.get("label", "January – June 2022"),
        "rows": rows,
        "count": count,
        "verified": Decimal(share) * count if share else None,
        "base": count if share else 0,
        "with_share": rows if share else 0,
        "approximate": approximate,
        "share_approximate": False,
        "first": partner_id,
        "changed": "",
    }


def tallies(**fields):
    by_status = {code: 0 for code in CommitmentStatus.values}
    by_status |= fields.pop("by_status", {})
    commitments = {"placed": 0, "made": 0, "overdue": 0, "changed": "", "by": 0}
    commitments |= {"to": 0, "by_status": by_status} | fields.pop("commitments", {})
    record = {"placed": 0, "counted": 0, "changed": ""}
    return Tallies(
        meetings=record | fields.pop("meetings", {}),
        milestones=record | fields.pop("milestones", {}),
        commitments=commitments,
        updates={"changes": 0, "fulfilled": 0, "history": 0, "changed": ""}
        | fields.pop("updates", {}),
        complaint_periods=fields.pop("complaint_periods", []),
        complaint_partners=fields.pop("complaint_partners", []),
        lane_step=fields.pop("lane_step", "day"),
        meeting_partners=fields.pop("meeting_partners", []),
        milestone_partners=fields.pop("milestone_partners", []),
        commitment_makers=fields.pop("commitment_makers", []),
        quotes=fields.pop("quotes", {}),
        undated=fields.pop("undated", {}),
    )


def link(partner, date, n=1, drawn=True, partner_id=1):
    return {"partner_id": partner_id, "partner": partner, "date": date, "drawn": drawn, "n": n}


def records(**fields):
    return Records(
        **{
            "subject": subject() | {"period_start": "2022-11-01", "period_end": "2022-11-30"},
            "meetings": [],
            "milestones": [],
            "commitments": [],
            "updates": [],
            "complaints": [],
            "quotes": [],
            "sources": [],
            "tallies": tallies(),
            **fields,
        }
    )


def test_percent_and_count_formatting():
    assert percent_format(Decimal("0.25")) == "25%"
    assert percent_format(0.333, approximate=True) == "about 33%"
    assert percent_format(None) == ""
    assert count_format(1200) == "1,200"
    assert count_format(40, approximate=True) == "about 40"


@pytest.mark.parametrize(
    ("date", "precision", "whole_record", "expected"),
    [
        (datetime.date(2022, 11, 3), "day", False, IN),
        (datetime.date(2022, 11, 1), "month", False, IN),
        (datetime.date(2022, 1, 1), "year", False, MAYBE),
        (datetime.date(2022, 10, 31), "day", False, None),
        (None, "unknown", False, None),
        (None, "unknown", True, UNDATED),
        (datetime.date(2001, 5, 1), "day", True, IN),
    ],
)
def test_placement_of_an_uncertain_date_in_the_period(date, precision, whole_record, expected):
    placement = placement_find(
        date=date, precision=precision, period=NOVEMBER, whole_record=whole_record
    )
    assert placement == expected


def test_status_on_a_day_follows_the_dated_history():
    history = [
        (datetime.date(2022, 1, 5), CommitmentStatus.ANNOUNCED),
        (datetime.date(2022, 3, 1), CommitmentStatus.IN_PROGRESS),
        (None, CommitmentStatus.STALLED),
        (datetime.date(2022, 9, 1), CommitmentStatus.FULFILLED),
    ]

    def status_on(day, history=history):
        return commitment_status_on(history=history, current="withdrawn", day=day)

    assert status_on(datetime.date(2021, 12, 31)) == CommitmentStatus.ANNOUNCED
    assert status_on(datetime.date(2022, 6, 30)) == CommitmentStatus.IN_PROGRESS
    assert status_on(datetime.date(2022, 9, 1)) == CommitmentStatus.FULFILLED
    assert status_on(None) == "withdrawn"
    assert status_on(datetime.date(2022, 1, 1), history=[]) == "withdrawn"


def test_rows_chronological_puts_dated_rows_first_and_undated_ones_by_title():
    rows = [
        meeting(1, "Zeta", date=""),
        meeting(2, "Later", date="2022-11-20"),
        meeting(3, "Alpha", date=""),
        meeting(4, "Earlier", date="2022-11-02"),
    ]
    assert [r["title"] for r in rows_chronological(rows)] == ["Earlier", "Later", "Alpha", "Zeta"]


def test_status_changes_skip_the_initial_announcement_and_uncertain_dates():
    updates = [
        update("Hotline", CommitmentStatus.ANNOUNCED, date="2022-11-02", initial=True, id=1),
        update("Hotline", CommitmentStatus.FULFILLED, date="2022-11-25", id=2),
        update("Shelter", CommitmentStatus.IN_PROGRESS, date="2022-11-10", id=3),
        update("Shelter", CommitmentStatus.STALLED, date="2022-01-01", placement=MAYBE, id=4),
    ]
    listed = updates_in_period(updates=updates, whole_record=False)
    assert [(u["commitment"], u["date"]) for u in listed] == [
        ("Shelter", "2022-11-10"),
        ("Hotline", "2022-11-25"),
    ]
    assert updates_in_period(updates=updates, whole_record=True) == []
    whole = status_changes(updates=updates, whole_record=True)
    assert [u["id"] for u in whole] == [4, 3, 2]


def test_headline_counts_open_overdue_and_fulfilled_in_a_period():
    counted = tallies(
        meetings={"placed": 2, "counted": 1},
        commitments={"made": 3, "overdue": 1},
        by_status={"in_progress": 1, "stalled": 1, "fulfilled": 1, "withdrawn": 1},
        updates={"changes": 1, "fulfilled": 1},
    )
    headline = headline_count(tallies=counted, whole_record=False, involved=["MOI", "EU", "MOI"])
    assert headline["meetings"] == 1
    assert headline["commitments_made"] == 3
    assert headline["commitments_open"] == 2
    assert headline["commitments_overdue"] == 1
    assert headline["commitments_changed"] == 1
    assert headline["commitments_fulfilled"] == 1
    assert headline["partners"] == 2
    assert "partners" not in headline_count(tallies=counted, whole_record=False, involved=None)


def test_a_whole_record_counts_the_commitments_that_stand_fulfilled():
    counted = tallies(by_status={"fulfilled": 2, "announced": 1}, updates={"fulfilled": 5})
    headline = headline_count(tallies=counted, whole_record=True, involved=[])
    assert headline["commitments_fulfilled"] == 2
    assert headline["commitments_changed"] == 0


def test_headline_adds_up_complaints_and_weighs_the_share_found_true():
    counted = tallies(
        complaint_periods=[
            group(100, share="0.5"),
            group(300, share="0.1", approximate=True, rows=2),
            group(50),
        ]
    )
    headline = headline_count(tallies=counted, whole_record=False, involved=[])
    assert headline["complaints_total"] == 450
    assert headline["complaints"] == "about 450"
    assert headline["complaint_periods"] == 4
    # (50 + 30) found true of the 400 whose share is known.
    assert headline["verified_share"] == "20%"
    assert (
        headline_count(tallies=tallies(), whole_record=False, involved=[])["verified_share"] == ""
    )


def test_timeline_orders_by_date_then_kind_and_puts_undated_events_last():
    timeline = timeline_build(
        meetings=[
            meeting(1, "Summit", date="2022-11-10"),
            meeting(2, "Undated talk", date="", placement=UNDATED),
        ],
        commitments=[
            commitment(1, "Hotline", date="2022-11-10"),
            commitment(2, "Not made in it", placement=None),
        ],
        changes=[update("Hotline", CommitmentStatus.FULFILLED, "2022-12-01")],
        milestones=[milestone(1, "Law adopted", date="2022-11-10")],
        complaints=[complaint_row(12)],
        whole_record=True,
    )
    assert [(e["date"], e["kind"], e["title"], e["partners"]) for e in timeline] == [
        ("2022-01-01", "Complaint count", "12 complaints received", ["MOI"]),
        ("2022-11-10", "Meeting", "Summit", ["MOI"]),
        ("2022-11-10", "Commitment", "Hotline", ["MOI"]),
        ("2022-11-10", "Law", "Law adopted", ["MOI"]),
        ("2022-12-01", "Status: Fulfilled", "Hotline", ["MOI"]),
        ("", "Meeting", "Undated talk", ["MOI"]),
    ]


def test_chart_data_groups_meetings_per_partner_and_year_and_lists_every_status():
    counted = tallies(
        meeting_partners=[
            link("MOI", datetime.date(2021, 3, 1)),
            link("IOM", datetime.date(2021, 3, 1), partner_id=2),
            link("MOI", datetime.date(2022, 11, 10), n=2),
            link("MOI", None, drawn=False),
        ],
        by_status={"stalled": 2},
        complaint_periods=[
            group(100, share="0.25"),
            group(40, partner="EU", partner_id=2, share="0.5"),
            group(7, start=datetime.date(2021, 1, 1), label="2021"),
        ],
    )
    chart_data = chart_data_build(tallies=counted)
    assert chart_data["meetings_per_partner_year"] == {
        "IOM": {2021: 1},
        "MOI": {2021: 1, 2022: 2},
    }
    by_status = {row["status"]: row["count"] for row in chart_data["commitments_by_status"]}
    assert by_status == {status: 0 for status in CommitmentStatus.values} | {"stalled": 2}
    # One bar per period, in date order, adding up the partners' counts and those found true.
    assert chart_data["complaints"] == [
        {"label": "2021", "start": "2021-01-01", "end": "2022-06-30", "count": 7, "verified": None},
        {
            "label": "January – June 2022",
            "start": "2022-01-01",
            "end": "2022-06-30",
            "count": 140,
            "verified": 45,
        },
    ]


def test_lanes_draw_each_entry_until_there_are_too_many_then_one_mark_per_step():
    few = tallies(meeting_partners=[link("MOI", datetime.date(2022, 11, 3), n=2)])
    lanes = lane_marks_build(tallies=few)
    assert lanes["step"] == "" and lanes["entries"] == 2
    assert lanes["marks"] == [["MOI", "meeting", "2022-11-03", "", 2]]

    days = [datetime.date(2022, 1, 1) + datetime.timedelta(days=n) for n in range(365)]
    busy = [link(f"P{n % 12}", day, partner_id=n % 12) for n, day in enumerate(days)]
    lanes = lane_marks_build(tallies=tallies(meeting_partners=busy))
    assert lanes["entries"] == 365
    assert lanes["step"] == "month" and len(lanes["marks"]) <= LANE_MARKS
    assert sum(mark[4] for mark in lanes["marks"]) == 365
    # Ten partners keep a lane; the other two share one.
    assert lanes["lanes"] == 11
    assert (lanes["first"], lanes["last"]) == ("2022-01-01", "2022-12-31")


def facts(pk, name):
    return {
        "id": pk,
        "name": name,
        "short_name": "",
        "kind": "Ministry",
        "country": "KH",
        "parent": "",
    }


def test_partner_sections_gather_each_partners_first_rows_and_counts():
    summit = meeting(7, "Summit", date="2022-11-10") | {"partner_ids": [2]}
    talks = meeting(8, "Talks", date="2022-11-20") | {"partner_ids": [1, 2]}
    count = complaint_row(40) | {"id": 5, "received_by_id": 1, "period_end": "2022-06-30"}
    listed = records(
        meetings=[summit, talks],
        complaints=[count],
        partners=[facts(2, "European Union"), facts(1, "ministry of interior")],
        partner_items={
            "commitments_received": [
                {"partner_id": 1, "of_partner": 1, "title": "Hotline", "status": "Announced"}
            ],
        },
        tallies=tallies(
            quotes={1: 3},
            meeting_partners=[link("EU", None, n=4, partner_id=2)],
            complaint_partners=[{"partner_id": 1, "rows": 2}],
        ),
    )
    quotes = [{"partner_id": 1, "passage": "We will act."}, {"partner_id": 3, "passage": "No."}]
    eu, moi = partner_sections_build(records=listed, quotes=quotes)
    assert (eu["id"], eu["name"], moi["id"]) == (2, "European Union", 1)
    # Newest first, and how many the partner has in all.
    assert [m["title"] for m in eu["meetings"]] == ["Talks", "Summit"]
    assert eu["counted"]["meetings"] == 4
    assert eu["milestones"] == eu["complaints"] == eu["quotes"] == []
    assert [m["title"] for m in moi["meetings"]] == ["Talks"]
    assert [c["title"] for c in moi["commitments_received"]] == ["Hotline"]
    assert moi["complaints"] == [{"period": "January – June 2022", "count": "40"}]
    assert moi["counted"]["complaints"] == 2
    assert moi["quotes"] == [quotes[0]]
    assert moi["counted"]["quotes"] == 3


def test_report_data_build_orders_rows_and_hashes_the_same_whatever_the_key_order():
    built = report_data_build(
        records=records(
            meetings=[meeting(1, "Later", date="2022-11-20"), meeting(2, "Earlier")],
            quotes=[
                {"person": "Sok", "record": "b", "passage": "2", "partner_id": 1},
                {"person": "Chan", "record": "a", "passage": "1", "partner_id": 1},
            ],
            partners=[facts(1, "MOI")],
            tallies=tallies(meetings={"placed": 30}, quotes={1: 2}, undated={"meetings": 3}),
        )
    )
    assert [m["title"] for m in built["meetings"]] == ["Earlier", "Later"]
    assert [q["person"] for q in built["quotes"]] == ["Chan", "Sok"]
    assert built["undated"] == {"meetings": 3}
    assert built["counted"]["meetings"] == built["counted"]["timeline"] == 30
    assert [s["name"] for s in built["partners"]] == ["MOI"]
    assert "profile" not in built
    reordered = dict(reversed(list(built.items())))
    assert data_hash(reordered) == data_hash(built)
    assert data_hash({**built, "quotes": []}) != data_hash(built)


def test_report_data_build_lists_the_first_rows_of_each_section():
    rows = [commitment(n, f"Pledge {n:02}", date=f"2022-11-{n:02}") for n in range(1, 30)]
    rows[-1]["overdue"] = True
    built = report_data_build(
        records=records(
            commitments=rows, tallies=tallies(commitments={"made": 29, "placed": 29, "overdue": 1})
        )
    )
    assert [c["title"] for c in built["commitments_new"]][:2] == ["Pledge 01", "Pledge 02"]
    assert len(built["commitments_new"]) == len(built["timeline"]) == LISTED_ROWS
    assert [c["title"] for c in built["commitments_overdue"]] == ["Pledge 29"]
    assert built["counted"]["commitments_new"] == 29


def test_a_partner_report_carries_its_profile_instead_of_partner_sections():
    built = report_data_build(
        records=records(
            subject=subject(whole_record=True)
            | {"period_start": "2020-01-01", "period_end": "2022-11-30"},
            commitments=[commitment(1, "By", made_by_id=7), commitment(2, "To", made_to_ids=[7])],
            profile={"id": 7, "name": "MOI"},
        )
    )
    assert built["profile"] == {"id": 7, "name": "MOI"}
    assert [c["title"] for c in built["commitments_by"]] == ["By"]
    assert [c["title"] for c in built["commitments_to"]] == ["To"]
    assert "partners" not in built and "undated" not in built
    assert "partners" not in built["headline"]
