"""Reports' summary functions on hand-made plain rows: no database, no records.

`collect.py` reads the records; these tests feed `summary.py` the rows it would read and check
what the report makes of them: figures, the timeline's order, chart inputs, partner sections.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from cooperation.models import CommitmentStatus
from cooperation.reports.periods import month_parse
from cooperation.reports.summary import (
    IN,
    MAYBE,
    UNDATED,
    Records,
    chart_data_build,
    commitment_status_on,
    count_format,
    data_hash,
    headline_count,
    partner_sections_build,
    percent_format,
    placement_find,
    report_data_build,
    rows_chronological,
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


def update(commitment, status, date="2022-11-20", placement=IN, initial=False):
    return {
        "commitment": commitment,
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
    history=(),
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
        "status": str(CommitmentStatus(status).label),
        "status_code": status,
        "overdue": overdue,
        "history": list(history),
        "sources": [],
    }


def complaints(count, partner="MOI", partner_id=1, share="", approximate=False):
    return {
        "received_by": partner,
        "received_by_id": partner_id,
        "period_start": "2022-01-01",
        "period_end": "2022-06-30",
        "period_display": "January – June 2022",
        "count": count,
        "count_display": count_format(count, approximate=approximate),
        "approximate": approximate,
        "share": share,
        "share_approximate": False,
        "verified_count": round(count * Decimal(share)) if share else None,
        "sources": [],
    }


def data(**rows):
    return {
        "subject": subject(rows.pop("whole_record", False)),
        "meetings": [],
        "milestones": [],
        "commitments": [],
        "updates": [],
        "complaints": [],
        "quotes": [],
        "sources": [],
        **rows,
    }


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


def test_updates_in_period_skip_the_initial_announcement_and_uncertain_dates():
    rows = [
        commitment(
            1,
            "Hotline",
            history=[
                update("Hotline", CommitmentStatus.ANNOUNCED, date="2022-11-02", initial=True),
                update("Hotline", CommitmentStatus.FULFILLED, date="2022-11-25"),
            ],
        ),
        commitment(
            2,
            "Shelter",
            history=[
                update("Shelter", CommitmentStatus.IN_PROGRESS, date="2022-11-10"),
                update("Shelter", CommitmentStatus.STALLED, date="2022-01-01", placement=MAYBE),
            ],
        ),
    ]
    listed = updates_in_period(commitments=rows, whole_record=False)
    assert [(u["commitment"], u["date"]) for u in listed] == [
        ("Shelter", "2022-11-10"),
        ("Hotline", "2022-11-25"),
    ]
    assert updates_in_period(commitments=rows, whole_record=True) == []


def test_headline_counts_open_overdue_and_fulfilled_in_a_period():
    rows = data(
        meetings=[meeting(1, "Summit"), meeting(2, "Perhaps", placement=MAYBE)],
        commitments=[
            commitment(1, "Hotline", CommitmentStatus.IN_PROGRESS, overdue=True),
            commitment(2, "Shelter", CommitmentStatus.STALLED, placement=None),
            commitment(3, "Training", CommitmentStatus.FULFILLED),
            commitment(4, "Fund", CommitmentStatus.WITHDRAWN, made_by="EU", made_to=["MOI"]),
        ],
        updates=[update("Training", CommitmentStatus.FULFILLED)],
    )
    headline = headline_count(data=rows)
    assert headline["meetings"] == 1
    assert headline["commitments_made"] == 3
    assert headline["commitments_open"] == 2
    assert headline["commitments_overdue"] == 1
    assert headline["commitments_changed"] == 1
    assert headline["commitments_fulfilled"] == 1
    assert headline["partners"] == 2


def test_a_whole_record_counts_the_commitments_that_stand_fulfilled():
    rows = data(
        whole_record=True,
        commitments=[
            commitment(1, "Hotline", CommitmentStatus.FULFILLED),
            commitment(2, "Training", CommitmentStatus.FULFILLED),
            commitment(3, "Shelter", CommitmentStatus.ANNOUNCED),
        ],
    )
    assert headline_count(data=rows)["commitments_fulfilled"] == 2


def test_headline_adds_up_complaints_and_weighs_the_share_found_true():
    rows = data(
        complaints=[
            complaints(100, share="0.5"),
            complaints(300, share="0.1", approximate=True),
            complaints(50),
        ]
    )
    headline = headline_count(data=rows)
    assert headline["complaints_total"] == 450
    assert headline["complaints"] == "about 450"
    assert headline["complaint_periods"] == 3
    # (50 + 30) found true of the 400 whose share is known.
    assert headline["verified_share"] == "20%"
    assert headline_count(data=data())["verified_share"] == ""


def test_timeline_orders_by_date_then_kind_and_puts_undated_events_last():
    rows = data(
        whole_record=True,
        meetings=[
            meeting(1, "Summit", date="2022-11-10"),
            meeting(2, "Undated talk", date="", placement=UNDATED),
        ],
        commitments=[
            commitment(
                1,
                "Hotline",
                date="2022-11-10",
                history=[
                    update("Hotline", CommitmentStatus.ANNOUNCED, "2022-11-10", initial=True),
                    update("Hotline", CommitmentStatus.FULFILLED, "2022-12-01"),
                ],
            ),
            commitment(2, "Not made in it", placement=None),
        ],
        milestones=[milestone(1, "Law adopted", date="2022-11-10")],
        complaints=[complaints(12)],
    )
    timeline = timeline_build(data=rows)
    assert [(e["date"], e["kind"], e["title"]) for e in timeline] == [
        ("2022-01-01", "Complaint count", "12 complaints received"),
        ("2022-11-10", "Meeting", "Summit"),
        ("2022-11-10", "Commitment", "Hotline"),
        ("2022-11-10", "Law", "Law adopted"),
        ("2022-12-01", "Status: Fulfilled", "Hotline"),
        ("", "Meeting", "Undated talk"),
    ]


def test_chart_data_groups_meetings_per_partner_and_year_and_lists_every_status():
    rows = data(
        meetings=[
            meeting(1, "A", date="2021-03-01", partners=["MOI", "IOM"]),
            meeting(2, "B", date="2022-11-10", partners=["MOI"]),
            meeting(3, "C", date="2022-11-20", partners=["MOI"]),
            meeting(4, "Undated", date="", partners=["MOI"]),
        ],
        commitments=[
            commitment(1, "Hotline", CommitmentStatus.STALLED),
            commitment(2, "Shelter", CommitmentStatus.STALLED),
        ],
        complaints=[complaints(100, share="0.25")],
    )
    chart_data = chart_data_build(data=rows)
    assert chart_data["meetings_per_partner_year"] == {
        "IOM": {2021: 1},
        "MOI": {2021: 1, 2022: 2},
    }
    by_status = {row["status"]: row["count"] for row in chart_data["commitments_by_status"]}
    assert by_status == {status: 0 for status in CommitmentStatus.values} | {"stalled": 2}
    assert chart_data["complaints"] == [
        {
            "label": "January – June 2022",
            "start": "2022-01-01",
            "end": "2022-06-30",
            "count": 100,
            "verified": 25,
            "partner": "MOI",
        }
    ]


def facts(name):
    return {"name": name, "short_name": "", "kind": "Ministry", "country": "KH", "parent": ""}


def test_partner_sections_gather_what_each_partner_did_by_name():
    records = Records(
        subject=subject(),
        meetings=[meeting(7, "Summit")],
        milestones=[milestone(8, "Law adopted")],
        commitments=[commitment(9, "Hotline", made_by_id=2, made_to=["MOI"])],
        complaints=[complaints(40, partner_id=1)],
        quotes=[],
        sources=[],
        partners={1: facts("ministry of interior"), 2: facts("European Union")},
        meeting_partners={7: [1, 2]},
        milestone_partners={8: [1]},
        commitment_made_to={9: [1]},
    )
    quotes = [{"partner_id": 1, "passage": "We will act."}, {"partner_id": 3, "passage": "No."}]
    sections = partner_sections_build(records=records, quotes=quotes)
    assert [(s["id"], s["name"]) for s in sections] == [
        (2, "European Union"),
        (1, "ministry of interior"),
    ]
    eu, moi = sections
    assert [m["title"] for m in eu["meetings"]] == ["Summit"]
    assert [c["title"] for c in eu["commitments_made"]] == ["Hotline"]
    assert eu["milestones"] == eu["complaints"] == eu["quotes"] == []
    assert [c["title"] for c in moi["commitments_received"]] == ["Hotline"]
    assert moi["complaints"] == [{"period": "January – June 2022", "count": "40"}]
    assert moi["quotes"] == [quotes[0]]


def test_report_data_build_orders_rows_and_hashes_the_same_whatever_the_key_order():
    records = Records(
        subject={**subject(), "audience": "public"},
        meetings=[meeting(1, "Later", date="2022-11-20"), meeting(2, "Earlier")],
        milestones=[],
        commitments=[],
        complaints=[],
        quotes=[
            {"person": "Sok", "record": "b", "passage": "2", "partner_id": 1},
            {"person": "Chan", "record": "a", "passage": "1", "partner_id": 1},
        ],
        sources=[],
        partners={1: facts("MOI")},
        meeting_partners={1: [1], 2: [1]},
        undated={"meetings": 3},
    )
    built = report_data_build(records=records)
    assert [m["title"] for m in built["meetings"]] == ["Earlier", "Later"]
    assert [q["person"] for q in built["quotes"]] == ["Chan", "Sok"]
    assert built["undated"] == {"meetings": 3}
    assert [s["name"] for s in built["partners"]] == ["MOI"]
    assert "profile" not in built
    reordered = dict(reversed(list(built.items())))
    assert data_hash(reordered) == data_hash(built)
    assert data_hash({**built, "quotes": []}) != data_hash(built)


def test_a_partner_report_carries_its_profile_instead_of_partner_sections():
    records = Records(
        subject=subject(whole_record=True),
        meetings=[],
        milestones=[],
        commitments=[],
        complaints=[],
        quotes=[],
        sources=[],
        profile={"name": "MOI"},
    )
    built = report_data_build(records=records)
    assert built["profile"] == {"name": "MOI"}
    assert "partners" not in built and "undated" not in built
