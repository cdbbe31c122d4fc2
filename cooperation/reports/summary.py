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

from django.utils.translation import gettext as _

from cooperation import numerals, small_counts
from cooperation.models import CommitmentStatus, Pillar, commitment_is_open
from cooperation.reports.periods import Period, month_end, uncertain_range

Row = dict[str, Any]

# Where a record sits in a report's period: surely in it, perhaps in it (its date is less
# precise than the period), or nowhere in time (a whole record lists its undated records too).
IN, MAYBE, UNDATED = "in", "maybe", "undated"


# How many rows a report lists in one section, how many partner sections it has, and how many
# rows each of those lists. Headline figures and charts always count everything; listing more
# would make a national month run to hundreds of pages and take minutes to lay out.
LISTED_ROWS = 10
LISTED_PARTNERS = 10
LISTED_PER_PARTNER = 3

# Marks the lanes chart draws one per entry; beyond them, one per lane, kind and week (or a
# longer step). Each mark costs the PDF about a millisecond to lay out.
LANE_MARKS = 250
LANE_STEPS = ("day", "week", "month", "quarter", "year")
LANE_KINDS = ("meeting", "commitment", "milestone", "complaints")
LANE_PARTNERS = 10
# Dates precise enough to draw at a point on a time axis; a bare year would look like 1 January.
DRAWN_PRECISIONS = {"day", "approximate", "month"}


@dataclass(frozen=True)
class Tallies:
    """What the database counted of every record of a report's subject, listed or not:
    the figures, the charts and the partner sections rest on these."""

    meetings: Row  # placed, counted (not MAYBE), changed
    milestones: Row
    commitments: Row  # by_status, placed, made, overdue, changed (a partner's: by, to)
    updates: Row  # changes, fulfilled, history, changed
    complaint_periods: list[Row]  # one per period: rows, count, verified, base, …
    complaint_partners: list[Row]  # partner, start, end, rows: the lanes
    # Links of placed meetings and milestones to their partners, and the drawn commitments by
    # their maker: partner, date (or first day of `lane_step`), drawn (by the lanes chart), n.
    lane_step: str
    meeting_partners: list[Row]
    milestone_partners: list[Row]
    commitment_makers: list[Row]
    quotes: dict[int, int]  # quotes by the partner of who said them
    undated: dict[str, int] = field(default_factory=dict)  # records of each kind with no date
    # Of the period's meetings, commitments and milestones, how many under each action-plan
    # pillar, by kind ("meetings", …) and pillar code ("" for not classified).
    pillars: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Records:
    """One report's listed rows as plain rows, and what the database counted of the rest.

    Each list holds at least the first LISTED_ROWS rows of every section that draws on it
    (commitments: placed in the period, made in it, overdue, made by and to the partner;
    updates: status changes, fulfilments, a partner's history). `partners` are the facts of
    the first LISTED_PARTNERS partner sections, `partner_items` their first rows."""

    subject: Row
    meetings: list[Row]
    milestones: list[Row]
    commitments: list[Row]
    updates: list[Row]
    complaints: list[Row]
    quotes: list[Row]
    sources: list[Row]
    tallies: Tallies
    involved: list[str] = field(default_factory=list)  # names of every partner involved
    partners: list[Row] = field(default_factory=list)
    partner_items: dict[str, list[Row]] = field(default_factory=dict)
    profile: Row | None = None


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
    text = numerals.percent(Decimal(share))
    return _("about %(value)s") % {"value": text} if approximate else text


def count_format(value: int, *, approximate: bool = False) -> str:
    """A count with thousands grouped, in the language's digits ("1,200", "about 1,200")."""
    text = numerals.number(value)
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
    return sorted(rows, key=lambda r: (r["date"] == "", r["date"], r["title"], r.get("id", 0)))


def updates_chronological(updates: list[Row]) -> list[Row]:
    """Status updates by date (undated ones last), then by commitment."""
    return sorted(updates, key=lambda u: (u["date"] == "", u["date"], u["commitment"], u["id"]))


def status_changes(*, updates: list[Row], whole_record: bool) -> list[Row]:
    """The changes of status a report lists, by date: not the announcement that opens a
    commitment's history and, in a period, those surely in it."""
    return [
        update
        for update in updates_chronological(updates)
        if not update["initial"] and (whole_record or update["placement"] == IN)
    ]


def updates_in_period(*, updates: list[Row], whole_record: bool) -> list[Row]:
    """The status changes placed in a period, by date; a whole record lists them with each
    commitment's history instead."""
    return [] if whole_record else status_changes(updates=updates, whole_record=False)


def quotes_ordered(quotes: list[Row]) -> list[Row]:
    """Quotes by person, then by the record they were said about."""
    return sorted(quotes, key=lambda q: (q["person"], q["record"], q["passage"]))


def timeline_build(
    *,
    meetings: list[Row],
    commitments: list[Row],
    changes: list[Row],
    milestones: list[Row],
    complaints: list[Row],
    whole_record: bool = False,
) -> list[Row]:
    """Every dated event of these rows in one list: by date, then meetings, commitments
    (placed in the period), status changes, milestones and complaint counts; undated last."""
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

    for row in meetings:
        add(0, row, _("Meeting"), row["title"], row["partners"])
    for row in commitments:
        if row["placement"] is not None:
            add(1, row, _("Commitment"), row["title"], [row["made_by"]])
    for update in changes:
        status = _("Status: %(status)s") % {"status": update["status"]}
        # A whole record's changes stand for its commitments' histories, with their maker.
        add(2, update, status, update["commitment"], [update["made_by"]] if whole_record else [])
    for row in milestones:
        add(3, row, row["kind"], row["title"], row["partners"])
    for row in complaints:
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


def complaint_share(groups: list[Row]) -> Decimal | None:
    """The share of complaints found true, weighed by the counts whose share is known."""
    base = sum(g["base"] for g in groups)
    if not base:
        return None
    return sum(Decimal(g["verified"] or 0) for g in groups) / base


def headline_count(*, tallies: Tallies, whole_record: bool, involved: list[str] | None) -> Row:
    """The report's figures, from what the database counted: records in the period,
    commitments by where they stand, complaints and the share found true, quotes, and the
    partners `involved` (by name; a partner's dossier does not count them)."""
    commitments, updates, groups = tallies.commitments, tallies.updates, tallies.complaint_periods
    by_status = commitments["by_status"]
    total = sum(g["count"] for g in groups)
    with_share = [g for g in groups if g["with_share"]]
    # A whole record has no period for a status change to fall in: it counts where each
    # commitment stands; a period counts what was fulfilled in it.
    fulfilled = by_status[CommitmentStatus.FULFILLED] if whole_record else updates["fulfilled"]
    return {
        "meetings": tallies.meetings["counted"],
        "milestones": tallies.milestones["counted"],
        "commitments_made": commitments["made"],
        "commitments_changed": 0 if whole_record else updates["changes"],
        "commitments_fulfilled": fulfilled,
        "commitments_overdue": commitments["overdue"],
        "commitments_open": sum(n for code, n in by_status.items() if commitment_is_open(code)),
        "complaints": count_format(total, approximate=any(g["approximate"] for g in groups)),
        "complaints_total": total,
        "complaint_periods": sum(g["rows"] for g in groups),
        "verified_share": percent_format(
            complaint_share(with_share),
            approximate=any(g["share_approximate"] for g in with_share),
        ),
        "quotes": sum(tallies.quotes.values()),
        **complaints_left_out(groups),
    } | ({} if involved is None else {"partners": len(set(involved))})


def complaints_left_out(groups: list[Row]) -> Row:
    """How many small counts a public report's complaint sums leave out, and the note that
    says so (`small_counts.excluded_note`); nothing when they leave out none."""
    below = sum(g.get("below", 0) for g in groups)
    if not below:
        return {}
    return {"complaints_below": below, "complaints_note": small_counts.excluded_note(below)}


def complaint_bars(groups: list[Row]) -> list[Row]:
    """One bar per period, by period, adding up the partners' counts and those found true."""
    bars: dict[str, Row] = {}
    for group in sorted(groups, key=lambda g: (g["start"], g["end"], g["first"])):
        bar = bars.setdefault(
            group["label"],
            {"label": group["label"], "start": day_iso(group["start"]),
             "end": day_iso(group["end"]), "count": 0, "verified": None},
        )  # fmt: skip
        bar["count"] += group["count"]
        if group.get("below"):  # small counts a public report's sums leave out
            bar["below"] = bar.get("below", 0) + group["below"]
        if group["with_share"]:
            bar["verified"] = (bar["verified"] or 0) + Decimal(group["verified"])
    for bar in bars.values():
        if bar["verified"] is not None:
            bar["verified"] = round(bar["verified"])
    return list(bars.values())


def meetings_per_partner_year(links: list[Row]) -> dict[str, dict[int, int]]:
    """How many placed meetings each partner took part in, by year."""
    years: dict[str, Counter[int]] = defaultdict(Counter)
    for link in links:
        if link["date"]:
            years[link["partner"]][link["date"].year] += link["n"]
    return {name: dict(sorted(counts.items())) for name, counts in sorted(years.items())}


def _lane_step(day: datetime.date, step: str) -> datetime.date:
    """The first day of the day, week, month, quarter or year a day falls in."""
    if step == "week":
        return day - datetime.timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    if step == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if step == "year":
        return day.replace(month=1, day=1)
    return day


def lane_marks_build(*, tallies: Tallies) -> Row:
    """What the lanes chart draws: the entries surely in the period and dated precisely
    enough, on one lane per partner, as [lane, kind, start, end, entries] marks.

    Up to LANE_MARKS entries dated to the day each get a mark. Beyond that the LANE_PARTNERS
    busiest partners keep a lane, the others share one, and the entries of one kind on one
    lane are drawn as one mark per day, week, month, quarter or year (`step`): the shortest
    that keeps the marks within LANE_MARKS, and no shorter than the tallies' `lane_step`."""
    entries: list[tuple[str, str, datetime.date, datetime.date | None, int]] = []
    for kind, rows in (
        ("meeting", tallies.meeting_partners),
        ("commitment", tallies.commitment_makers),
        ("milestone", tallies.milestone_partners),
    ):
        entries += [(r["partner"], kind, r["date"], None, r["n"]) for r in rows if r["drawn"]]
    for group in tallies.complaint_partners:
        entries.append(
            (group["partner"], "complaints", group["start"], group["end"], group["rows"])
        )
    # The order the entries were read in: by kind, then date, then partner.
    entries.sort(key=lambda e: (LANE_KINDS.index(e[1]), e[2], e[0]))
    total = sum(entry[4] for entry in entries)
    if total <= LANE_MARKS and tallies.lane_step == "day":
        marks = [
            [lane, kind, day_iso(start), day_iso(end), n] for lane, kind, start, end, n in entries
        ]
        return {"step": "", "entries": total, "lanes": len({e[0] for e in entries}), "marks": marks}
    per_lane: Counter[str] = Counter()
    for lane, _kind, _start, _end, n in entries:
        per_lane[lane] += n
    kept = {lane for lane, _n in per_lane.most_common(LANE_PARTNERS)}
    other = _("Other partners")
    steps = LANE_STEPS[LANE_STEPS.index(tallies.lane_step) :]
    for step in steps:
        grouped: dict[tuple[str, str, datetime.date], list[Any]] = {}
        for lane, kind, start, end, n in entries:
            lane = lane if lane in kept else other
            key = (lane, kind, _lane_step(start, step))
            mark = grouped.setdefault(key, [lane, kind, key[2], end, 0])
            if end and (mark[3] is None or end > mark[3]):
                mark[3] = end
            mark[4] += n
        if len(grouped) <= LANE_MARKS:
            break
    marks = [
        [lane, kind, day_iso(start), day_iso(end), n]
        for lane, kind, start, end, n in grouped.values()
    ]
    return {
        "step": step,
        "entries": total,
        "lanes": len({m[0] for m in marks}),
        "first": day_iso(min((e[2] for e in entries), default=None)),
        "last": day_iso(max((step_end(e[3] or e[2], step) for e in entries), default=None)),
        "marks": marks,
    }


def step_end(day: datetime.date, step: str) -> datetime.date:
    """The last day of the step a day falls in (the day itself for day and week steps)."""
    if step == "month":
        return month_end(day)
    if step == "quarter":
        return month_end(day.replace(month=(day.month - 1) // 3 * 3 + 3))
    if step == "year":
        return day.replace(month=12, day=31)
    return day


def chart_data_build(*, tallies: Tallies) -> Row:
    """What the charts draw: complaints per period, commitments by status, meetings per
    partner and year, and the lanes of cooperation over time."""
    by_status = tallies.commitments["by_status"]
    return {
        "complaints": complaint_bars(tallies.complaint_periods),
        "commitments_by_status": [
            {"status": code, "label": str(label), "count": by_status.get(code, 0)}
            for code, label in CommitmentStatus.choices
        ],
        "meetings_per_partner_year": meetings_per_partner_year(tallies.meeting_partners),
        "lanes": lane_marks_build(tallies=tallies),
    }


def partner_sections_build(*, records: Records, quotes: list[Row]) -> list[Row]:
    """One section per listed partner, with the first rows of what it did in the period and
    how many it did in all (`counted`)."""
    items: dict[tuple[str, int], list[Row]] = defaultdict(list)
    counted: dict[tuple[str, int], int] = {}
    for kind, rows in records.partner_items.items():
        for row in rows:
            items[(kind, row["partner_id"])].append(row)
            counted[(kind, row["partner_id"])] = row["of_partner"]
    # Meetings newest first, complaint counts by period, from the rows read for the sections.
    meetings = sorted(records.meetings, key=lambda r: (r["title"], r["id"]))
    for row in sorted(meetings, key=lambda r: r["date"], reverse=True):  # stable: by title
        for partner_id in row.get("partner_ids", []):
            slot = ("meetings", partner_id)
            if len(items[slot]) < LISTED_PER_PARTNER:
                items[slot].append({"title": row["title"], "date_display": row["date_display"]})
    counts = sorted(records.complaints, key=lambda r: (r["period_start"], r["period_end"], r["id"]))
    for row in counts:
        slot = ("complaints", row["received_by_id"])
        if len(items[slot]) < LISTED_PER_PARTNER:
            items[slot].append({"period": row["period_display"], "count": row["count_display"]})
    for link in records.tallies.meeting_partners:
        slot = ("meetings", link["partner_id"])
        counted[slot] = counted.get(slot, 0) + link["n"]
    for group in records.tallies.complaint_partners:
        slot = ("complaints", group["partner_id"])
        counted[slot] = counted.get(slot, 0) + group["rows"]
    for quote in quotes:
        slot = ("quotes", quote["partner_id"])
        if len(items[slot]) < LISTED_PER_PARTNER:
            items[slot].append(quote)
    for partner_id, n in records.tallies.quotes.items():
        counted[("quotes", partner_id)] = n
    lists = (
        "meetings",
        "milestones",
        "commitments_made",
        "commitments_received",
        "complaints",
        "quotes",
    )
    sections = []
    for facts in records.partners:
        pk = facts["id"]
        section: Row = {**facts, "counted": {key: counted.get((key, pk), 0) for key in lists}}
        for key in lists:
            section[key] = [
                {k: v for k, v in row.items() if k not in ("partner_id", "of_partner")}
                if key != "quotes" else row
                for row in items[(key, pk)]
            ]  # fmt: skip
        sections.append(section)
    return sections


PILLAR_KINDS = ("meetings", "commitments", "milestones")


def pillar_rows(pillars: dict[str, dict[str, int]]) -> list[Row]:
    """The action-plan coverage section: for each pillar, then for records not classified
    (code ""), how many meetings, commitments and milestones, and their total."""
    rows = []
    for code in [*Pillar.values, ""]:
        counts = {kind: pillars.get(kind, {}).get(code, 0) for kind in PILLAR_KINDS}
        rows.append({"code": code, **counts, "total": sum(counts.values())})
    return rows


def _first(rows: Any) -> list[Row]:
    return list(rows)[:LISTED_ROWS]


def report_data_build(*, records: Records) -> Row:
    """The report's data: its listed rows in reading order with how many each section has
    in all (`counted`), the timeline, the headline figures, the chart inputs, and the
    profile (a partner's report) or a section per partner."""
    subject, tallies = records.subject, records.tallies
    whole_record = subject["whole_record"]
    commitments = rows_chronological(records.commitments)
    changes = status_changes(updates=records.updates, whole_record=whole_record)
    quotes = quotes_ordered(records.quotes)
    data: Row = {
        "subject": subject,
        "meetings": _first(rows_chronological(records.meetings)),
        "milestones": rows_chronological(records.milestones),
        "commitments": _first(c for c in commitments if c["placement"] is not None),
        "complaints": _first(
            sorted(records.complaints, key=lambda r: (r["period_start"], r["period_end"], r["id"]))
        ),
        "quotes": _first(quotes),
        "sources": records.sources,
        "updates": [] if whole_record else _first(changes),
    }
    data["timeline"] = _first(
        timeline_build(
            meetings=data["meetings"],
            commitments=data["commitments"],
            changes=_first(changes),
            milestones=data["milestones"],
            complaints=data["complaints"],
            whole_record=whole_record,
        )
    )
    counted = {
        "meetings": tallies.meetings["placed"],
        "milestones": tallies.milestones["placed"],
        "commitments": tallies.commitments["placed"],
        "complaints": sum(g["rows"] for g in tallies.complaint_periods),
        "quotes": sum(tallies.quotes.values()),
        "updates": 0 if whole_record else tallies.updates["changes"],
    }
    counted["timeline"] = (
        counted["meetings"] + counted["commitments"] + tallies.updates["changes"]
        + counted["milestones"] + counted["complaints"]
    )  # fmt: skip
    data["headline"] = headline_count(
        tallies=tallies,
        whole_record=whole_record,
        involved=None if records.profile is not None else records.involved,
    )
    data["headline"]["sources"] = len(records.sources)
    data["chart_data"] = chart_data_build(tallies=tallies)
    if records.profile is not None:
        partner_id = records.profile["id"]
        data["profile"] = records.profile
        data["commitments_by"] = _first(c for c in commitments if c["made_by_id"] == partner_id)
        data["commitments_to"] = _first(c for c in commitments if partner_id in c["made_to_ids"])
        data["history"] = _first(updates_chronological(records.updates))
        counted |= {
            "commitments_by": tallies.commitments["by"],
            "commitments_to": tallies.commitments["to"],
            "history": tallies.updates["history"],
        }
    else:
        data["updates_fulfilled"] = _first(
            u for u in changes if u["status_code"] == CommitmentStatus.FULFILLED
        )
        data["commitments_new"] = _first(c for c in commitments if c["placement"] == IN)
        data["commitments_overdue"] = _first(c for c in commitments if c["overdue"])
        data["partners"] = partner_sections_build(records=records, quotes=quotes)
        data["undated"] = tallies.undated
        data["pillars"] = pillar_rows(tallies.pillars)
        counted |= {
            "updates_fulfilled": tallies.updates["fulfilled"],
            "commitments_new": tallies.commitments["made"],
            "commitments_overdue": tallies.commitments["overdue"],
            "partners": len(records.involved),
        }
    data["counted"] = counted
    # When the latest record of each kind changed: a report is stale when any record it
    # counts changes, listed or not.
    data["changed"] = {
        "meetings": tallies.meetings["changed"],
        "milestones": tallies.milestones["changed"],
        "commitments": tallies.commitments["changed"],
        "updates": tallies.updates["changed"],
        "complaints": max((g["changed"] for g in tallies.complaint_periods), default=""),
    }
    return data
