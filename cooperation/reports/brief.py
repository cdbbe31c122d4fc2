"""The partner brief as a report: `selectors.brief.partner_brief`, read as the report's
audience, turned into plain rows (hashable, like every report's data) and laid out on one
or two pages by `templates/reports/pdf/brief.html`.

`collect.report_data_collect` hands a brief's subject here, `rendering.report_context` its
data; the request, the queue, the audiences and the storage are every report's.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.utils import formats, timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from cooperation import follow_up, numerals
from cooperation.dates import format_day
from cooperation.models import Commitment, CommitmentStatus, ReportKind, audience_label
from cooperation.reports.summary import count_format, day_iso, percent_format
from cooperation.selectors.brief import BriefSection, PartnerBrief, partner_brief
from cooperation.translations import display_name_text, shown_text

if TYPE_CHECKING:
    from cooperation.reports.collect import Subject

Row = dict[str, Any]

# How much of the last meeting's outcome the brief quotes: it is a reminder, not the record.
OUTCOME_CHARACTERS = 600
# What the printed brief lists of each section, so that even a partner busy in every one
# fits two pages: fewer rows than the page shows, long titles and quotes shortened.
PRINTED_ROWS = {
    "status_changes": 5,
    "new_commitments": 5,
    "overdue": 5,
    "due_soon": 3,
    "complaint_counts": 6,
    "milestones": 6,
    "quotes": 3,
}
TITLE_CHARACTERS = 110
PASSAGE_CHARACTERS = 280


def _section(section: BriefSection, row: Any, limit: int) -> Row:
    return {"rows": [row(item) for item in section.rows[:limit]], "total": section.total}


def _short(text: str, characters: int = TITLE_CHARACTERS) -> str:
    return Truncator(text).chars(characters)


def _maker(record: Any, commitment: Commitment) -> str:
    return display_name_text(commitment.made_by) if record.made_by_shown else ""


def _commitment_row(commitment: Commitment) -> Row:
    return {
        "title": _short(shown_text(commitment, "title")),
        "date_display": commitment.date_display,
        "made_by": _maker(commitment, commitment),
        "status": str(CommitmentStatus(commitment.status).label),
        "status_code": commitment.status,
        "target_date": format_day(commitment.target_date) if commitment.target_date else "",
        "marks": [
            {"code": mark.replace("_", "-"), "label": follow_up.mark_label(mark)}
            for mark in commitment.follow_up()
        ],
    }


def _update_row(update: Any) -> Row:
    commitment = update.commitment
    return {
        "commitment": _short(shown_text(commitment, "title")),
        "made_by": _maker(update, commitment),
        "date_display": update.date_display,
        "status": update.get_status_display(),
        "status_code": update.status,
    }


def _complaint_row(count: Any) -> Row:
    hidden = count.count_hidden
    return {
        "period_display": count.period_display,
        "count_display": count_format(count.count, approximate=count.approximate)
        if not hidden
        else "",
        "hidden": hidden,
        "share_display": ""
        if hidden
        else percent_format(count.verified_share, approximate=count.verified_share_approximate),
        "origin": Truncator(count.origin).chars(120) if count.origin else "",
    }


def _milestone_row(milestone: Any) -> Row:
    return {
        "title": _short(shown_text(milestone, "title")),
        "kind": milestone.get_kind_display(),
        "date_display": milestone.date_display,
    }


def _quote_row(citation: Any) -> Row:
    person = citation.quoted_person
    record = citation.quoted_record
    return {
        "passage": _short(citation.passage, PASSAGE_CHARACTERS),
        "person": person.name if person else "",
        "role": person.role if person else "",
        "record": _short(record.title),
        "record_date": format_day(record.date) if record.date else "",
        "source": citation.source.title,
    }


def brief_data(brief: PartnerBrief) -> Row:
    """The brief as plain rows, in the active language."""
    meeting = brief.last_meeting
    last = None
    if meeting is not None:
        outcome = shown_text(meeting, "outcome")
        last = {
            "title": shown_text(meeting, "title"),
            "date_display": meeting.date_display,
            "date": day_iso(meeting.date),
            "location": meeting.location,
            "outcome": Truncator(outcome).chars(OUTCOME_CHARACTERS) if outcome else "",
        }
    return {
        "partner": brief.partner.name,
        "partner_display": display_name_text(brief.partner),
        "today": day_iso(brief.today),
        "today_display": format_day(brief.today),
        "last_meeting": last,
        "min_public_count": numerals.number(brief.min_public_count),
        "figures": {
            "open": brief.open_total,
            "overdue": brief.overdue.total,
            "due_soon": brief.due_soon.total,
            "stale": brief.stale_total,
        },
        "status_changes": _section(
            brief.status_changes, _update_row, PRINTED_ROWS["status_changes"]
        ),
        "new_commitments": _section(
            brief.new_commitments, _commitment_row, PRINTED_ROWS["new_commitments"]
        ),
        "overdue": _section(brief.overdue, _commitment_row, PRINTED_ROWS["overdue"]),
        "due_soon": _section(brief.due_soon, _commitment_row, PRINTED_ROWS["due_soon"]),
        "complaint_counts": _section(
            brief.complaint_counts, _complaint_row, PRINTED_ROWS["complaint_counts"]
        ),
        "milestones": _section(brief.milestones, _milestone_row, PRINTED_ROWS["milestones"]),
        "quotes": _section(brief.quotes, _quote_row, PRINTED_ROWS["quotes"]),
    }


def brief_data_collect(*, subject: Subject, today: datetime.date | None = None) -> Row:
    """A brief report's plain data, read as its audience, judged on the day it covers to."""
    assert subject.partner is not None, "a brief is about one partner"
    judged_on = min(subject.period.end, today or timezone.localdate())
    brief = partner_brief(viewer=subject.viewer, partner=subject.partner, today=judged_on)
    organisation = subject.organisation
    return {
        "subject": {
            "audience": subject.audience,
            "organisation": organisation.name if organisation else "",
            "period_start": day_iso(subject.period.start),
            "period_end": day_iso(subject.period.end),
            "period_label": subject.period.label(),
            "whole_record": False,
            "partner": subject.partner.name,
            "partner_slug": subject.partner.slug,
            "judged_on": native_day(judged_on),
        },
        "brief": brief_data(brief),
    }


def native_day(day: datetime.date) -> str:
    return numerals.native_digits(formats.date_format(day, "j F Y"))


class Listed(list):
    """A section's rows, and how many more it has (`more`, `more_display`)."""

    def __init__(self, section: Row):
        super().__init__(section["rows"])
        self.total = section["total"]
        self.more = max(0, self.total - len(self))
        self.more_display = count_format(self.more)
        self.total_display = count_format(self.total)


SECTIONS = (
    "status_changes",
    "new_commitments",
    "overdue",
    "due_soon",
    "complaint_counts",
    "milestones",
    "quotes",
)


def brief_report_context(
    *,
    data: Row,
    digest: str,
    report_id: int | None,
    generated_at: datetime.datetime,
) -> Row:
    """Everything `reports/pdf/brief.html` reads."""
    subject, brief = data["subject"], data["brief"]
    figures = brief["figures"]
    return {
        **data,
        **{key: Listed(brief[key]) for key in SECTIONS},
        "language": translation.get_language(),
        "kind": ReportKind.BRIEF,
        "kind_label": _("Partner brief"),
        "title": subject["partner"],
        "subtitle": _("Since our last meeting"),
        "audience_label": audience_label(subject["audience"], subject.get("organisation", "")),
        "generated_display": numerals.native_digits(
            formats.date_format(timezone.localtime(generated_at), "j F Y, H:i T")
        ),
        "generated_iso": generated_at.isoformat(),
        "report_id": report_id,
        "data_hash": digest,
        "figures": [
            {"value": numerals.number(figures["open"]), "label": _("Open now"), "alert": False},
            {
                "value": numerals.number(figures["overdue"]),
                "label": _("Overdue"),
                "alert": figures["overdue"] > 0,
            },
            {"value": numerals.number(figures["due_soon"]), "label": _("Due soon"), "alert": False},
            {"value": numerals.number(figures["stale"]), "label": _("Stale"), "alert": False},
        ],
        "listed": numerals.number(max(PRINTED_ROWS.values())),
        "template_name": "reports/pdf/brief.html",
    }
