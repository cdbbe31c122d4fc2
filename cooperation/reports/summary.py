"""What a report says, worked out from plain rows: their order, the timeline, the headline
figures, the chart inputs and a section per partner. Nothing here reads the database.

`collect.py` reads a subject's records into `Records`; `report_data_build` turns them into
the report's data. The data is plain (strings, numbers, lists, dicts) so that it can be
hashed: a report keeps the SHA-256 of the data it was built from, and `data_hash` recomputes
it to show whether the stored records still match.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from cooperation.models import CommitmentStatus, commitment_is_open
from cooperation.reports.periods import Period, uncertain_range

Row = dict[str, Any]

# Where a record sits in a report's period: surely in it, perhaps in it (its date is less
# precise than the period), or nowhere in time (a whole record lists its undated records too).
IN, MAYBE, UNDATED = "in", "maybe", "undated"


@dataclass(frozen=True)
class Records:
    """One report's records as plain rows, in the order they were read, with the links the
    partner sections follow: which partners took part in a meeting or a milestone, and whom a
    commitment was made to (ids, in the order the records list them)."""

    subject: Row
    meetings: list[Row]
    milestones: list[Row]
    commitments: list[Row]
    complaints: list[Row]
    quotes: list[Row]
    sources: list[Row]
    partners: dict[int, Row] = field(default_factory=dict)
    meeting_partners: dict[int, list[int]] = field(default_factory=dict)
    milestone_partners: dict[int, list[int]] = field(default_factory=dict)
    commitment_made_to: dict[int, list[int]] = field(default_factory=dict)
    profile: Row | None = None
    undated: dict[str, int] = field(default_factory=dict)


def data_hash(data: Row) -> str:
    """SHA-256 of the data in a canonical form (sorted keys, UTF-8)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def day_iso(day: datetime.date | None) -> str:
    """A day as YYYY-MM-DD, or an empty string when it is not known."""
    return day.isoformat() if day else ""


def percent_format(share: Decimal | float | None, *, approximate: bool = False) -> str:
    """A share (0.25) as a percentage ("25%", "about 25%"); empty when it is not known."""
    if share is None:
        return ""
    text = _("%(percent)s%%") % {"percent": formats.number_format(Decimal(share) * 100, 0)}
    return _("about %(value)s") % {"value": text} if approximate else text


def count_format(value: int, *, approximate: bool = False) -> str:
    """A count with thousands grouped ("1,200", "about 1,200")."""
    text = formats.number_format(value, 0, force_grouping=True)
    return _("about %(value)s") % {"value": text} if approximate else text


def placement_find(
    *, date: datetime.date | None, precision: str, period: Period, whole_record: bool
) -> str | None:
    """Where a record dated this precisely sits in the period: IN, MAYBE (its date overlaps
    the period but may fall outside it), UNDATED (a whole record only), or None (outside)."""
    span = uncertain_range(date, precision)
    if span is None:
        return UNDATED if whole_record else None
    if whole_record or period.contains(*span):
        return IN
    if period.overlaps(*span):
        return MAYBE
    return None


def commitment_status_on(
    *,
    history: list[tuple[datetime.date | None, str]],
    current: str,
    day: datetime.date | None,
) -> str:
    """A commitment's status on a day, from its (date, status) history in order; `current`
    without a day or a history."""
    if day is None or not history:
        return current
    dated = [status for date, status in history if date and date <= day]
    return dated[-1] if dated else CommitmentStatus.ANNOUNCED


def rows_chronological(rows: list[Row]) -> list[Row]:
    """Dated rows first, in date order; undated ones after, by title."""
    return sorted(rows, key=lambda r: (r["date"] == "", r["date"], r["title"]))


def updates_in_period(*, commitments: list[Row], whole_record: bool) -> list[Row]:
    """The status changes placed in a period, by date; a whole record lists them with each
    commitment's history instead."""
    if whole_record:
        return []
    return sorted(
        (
            update
            for row in commitments
            for update in row["history"]
            if update["placement"] == IN and not update["initial"]
        ),
        key=lambda u: (u["date"], u["commitment"]),
    )


def quotes_ordered(quotes: list[Row]) -> list[Row]:
    """Quotes by person, then by the record they were said about."""
    return sorted(quotes, key=lambda q: (q["person"], q["record"], q["passage"]))


def timeline_build(*, data: Row) -> list[Row]:
    """Every dated event of the report in one list: by date, then meetings, commitments,
    status changes, milestones and complaint counts; undated events last."""
    whole_record = data["subject"]["whole_record"]
    entries = []

    def add(
        rank: int, row: Row, kind: str, title: str, partners: list[str], **overrides: Any
    ) -> None:
        row = {**row, **overrides}
        entries.append(
            {
                "date": row["date"],
                "date_display": row["date_display"],
                "placement": row["placement"],
                "kind": kind,
                "title": title,
                "partners": partners,
                "sources": row["sources"],
                "rank": rank,
            }
        )

    for row in data["meetings"]:
        add(0, row, _("Meeting"), row["title"], row["partners"])
    for row in data["commitments"]:
        if row["placement"] is None:
            continue  # listed for a change or for being overdue, not made in the period
        add(1, row, _("Commitment"), row["title"], [row["made_by"]])
        if whole_record:
            for update in row["history"]:
                if not update["initial"]:
                    status = _("Status: %(status)s") % {"status": update["status"]}
                    add(2, update, status, row["title"], [row["made_by"]])
    for update in data["updates"]:
        status = _("Status: %(status)s") % {"status": update["status"]}
        add(2, update, status, update["commitment"], [])
    for row in data["milestones"]:
        add(3, row, row["kind"], row["title"], row["partners"])
    for row in data["complaints"]:
        add(
            4,
            row,
            _("Complaint count"),
            _("%(count)s complaints received") % {"count": row["count_display"]},
            [row["received_by"]],
            date=row["period_start"],
            date_display=row["period_display"],
            placement=IN,
        )
    return sorted(
        entries,
        key=lambda e: (e["placement"] == UNDATED, e["date"], e["rank"], e["title"]),
    )


def headline_count(*, data: Row) -> Row:
    """The report's figures: records in the period, commitments by where they stand,
    complaints and the share found true, partners, quotes and sources."""
    counted = data["complaints"]
    total = sum(c["count"] for c in counted)
    with_share = [c for c in counted if c["share"] != ""]
    share = None
    if with_share:
        verified = sum(Decimal(c["share"]) * c["count"] for c in with_share)
        base = sum(c["count"] for c in with_share)
        share = verified / base if base else None
    partners = set()
    for row in data["meetings"] + data["milestones"]:
        partners.update(row["partners"])
    for row in data["commitments"]:
        partners.add(row["made_by"])
        partners.update(row["made_to"])
    partners.update(c["received_by"] for c in counted)
    # A whole record has no period for a status change to fall in: it counts where each
    # commitment stands; a period counts what was fulfilled in it.
    fulfilled = data["commitments"] if data["subject"]["whole_record"] else data["updates"]
    return {
        "meetings": sum(1 for m in data["meetings"] if m["placement"] != MAYBE),
        "milestones": sum(1 for m in data["milestones"] if m["placement"] != MAYBE),
        "commitments_made": sum(1 for c in data["commitments"] if c["placement"] == IN),
        "commitments_changed": len(data["updates"]),
        "commitments_fulfilled": sum(
            1 for row in fulfilled if row["status_code"] == CommitmentStatus.FULFILLED
        ),
        "commitments_overdue": sum(1 for c in data["commitments"] if c["overdue"]),
        "commitments_open": sum(
            1 for c in data["commitments"] if commitment_is_open(c["status_code"])
        ),
        "complaints": count_format(total, approximate=any(c["approximate"] for c in counted)),
        "complaints_total": total,
        "complaint_periods": len(counted),
        "verified_share": percent_format(
            share, approximate=any(c["share_approximate"] for c in with_share)
        ),
        "partners": len(partners),
        "quotes": len(data["quotes"]),
        "sources": len(data["sources"]),
    }


def chart_data_build(*, data: Row) -> Row:
    """What the charts draw: complaints per period, commitments by status, and meetings per
    partner and year."""
    by_status = Counter(c["status_code"] for c in data["commitments"])
    meetings_per_partner_year: dict[str, Counter[int]] = defaultdict(Counter)
    for row in data["meetings"]:
        if row["date"]:
            for name in row["partners"]:
                meetings_per_partner_year[name][int(row["date"][:4])] += 1
    return {
        "complaints": [
            {
                "label": row["period_display"],
                "start": row["period_start"],
                "end": row["period_end"],
                "count": row["count"],
                "verified": row["verified_count"],
                "partner": row["received_by"],
            }
            for row in data["complaints"]
        ],
        "commitments_by_status": [
            {"status": code, "label": str(label), "count": by_status.get(code, 0)}
            for code, label in CommitmentStatus.choices
        ],
        "meetings_per_partner_year": {
            name: dict(sorted(years.items()))
            for name, years in sorted(meetings_per_partner_year.items())
        },
    }


def partner_sections_build(*, records: Records, quotes: list[Row]) -> list[Row]:
    """One section per partner that took part in the period, with what it did in it, by
    name; `records.partners` holds each one's facts."""
    sections: dict[int, Row] = {}

    def section(partner_id: int) -> Row:
        return sections.setdefault(
            partner_id,
            {
                "meetings": [],
                "milestones": [],
                "commitments_made": [],
                "commitments_received": [],
                "complaints": [],
                "quotes": [],
            },
        )

    for key, rows, links in (
        ("meetings", records.meetings, records.meeting_partners),
        ("milestones", records.milestones, records.milestone_partners),
    ):
        for row in rows:
            for partner_id in links.get(row["id"], []):
                section(partner_id)[key].append(
                    {"title": row["title"], "date_display": row["date_display"]}
                )
    for row in records.commitments:
        entry = {"title": row["title"], "status": row["status"], "overdue": row["overdue"]}
        section(row["made_by_id"])["commitments_made"].append(entry)
        for partner_id in records.commitment_made_to.get(row["id"], []):
            section(partner_id)["commitments_received"].append(entry)
    for row in records.complaints:
        section(row["received_by_id"])["complaints"].append(
            {"period": row["period_display"], "count": row["count_display"]}
        )
    for quote in quotes:
        if quote["partner_id"] in sections:
            sections[quote["partner_id"]]["quotes"].append(quote)
    result = [
        {**entry, **records.partners[partner_id], "id": partner_id}
        for partner_id, entry in sections.items()
    ]
    return sorted(result, key=lambda e: e["name"].lower())


def report_data_build(*, records: Records) -> Row:
    """The report's data: its rows in reading order, with the timeline, the headline figures,
    the chart inputs, and the profile (a partner's report) or a section per partner."""
    whole_record = records.subject["whole_record"]
    quotes = quotes_ordered(records.quotes)
    data: Row = {
        "subject": records.subject,
        "meetings": rows_chronological(records.meetings),
        "milestones": rows_chronological(records.milestones),
        "commitments": rows_chronological(records.commitments),
        "complaints": records.complaints,
        "quotes": quotes,
        "sources": records.sources,
        "updates": updates_in_period(commitments=records.commitments, whole_record=whole_record),
    }
    data["timeline"] = timeline_build(data=data)
    data["headline"] = headline_count(data=data)
    data["chart_data"] = chart_data_build(data=data)
    if records.profile is not None:
        data["profile"] = records.profile
    else:
        data["partners"] = partner_sections_build(records=records, quotes=quotes)
        data["undated"] = records.undated
    return data
