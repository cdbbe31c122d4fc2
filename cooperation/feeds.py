"""Feeds: meetings as iCalendar (RFC 5545) and the timeline as Atom.

Both read the same filters as their pages (`MeetingFilterSet`, `TimelineFilterForm`)
and go through the selectors, so a feed holds what its page shows the same user.
Malformed filters give an empty feed rather than an error: calendar apps and feed
readers show no message, and an empty feed is the honest answer to a broken filter.
"""

import calendar
import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from cooperation import selectors
from cooperation.filtersets import MeetingFilterSet
from cooperation.forms import TimelineFilterForm
from cooperation.models import DatePrecision

ICS_LIMIT = 1000
ATOM_LIMIT = 50


def ics_escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545, 3.3.11): backslash, semicolon, comma, newlines."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545, 3.1), never inside a UTF-8 character."""
    out, current, size = [], [], 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [], 0, 74  # continuation lines start with a space
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n ".join(out)


def _event_dates(meeting) -> tuple[datetime.date, datetime.date] | None:
    """All-day start and (exclusive) end, or None when the date is too vague for a calendar."""
    if meeting.date is None or meeting.date_precision in (
        DatePrecision.UNKNOWN,
        DatePrecision.YEAR,
    ):
        return None
    if meeting.date_precision == DatePrecision.MONTH:
        days = calendar.monthrange(meeting.date.year, meeting.date.month)[1]
        return meeting.date, meeting.date + datetime.timedelta(days=days)
    return meeting.date, meeting.date + datetime.timedelta(days=1)


def meetings_calendar(meetings, *, host: str, base_url: str) -> str:
    """An iCalendar document with one all-day event per meeting with a usable date."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Concord//Cooperation meetings//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + ics_escape(_("Concord meetings")),
    ]
    for meeting in meetings:
        dates = _event_dates(meeting)
        if dates is None:
            continue
        start, end = dates
        summary = meeting.title
        if meeting.date_precision != DatePrecision.DAY or meeting.date_inferred:
            summary = f"{summary} ({meeting.date_display})"
        description = meeting.summary
        if meeting.outcome:
            description += "\n\n" + _("What came of it:") + " " + meeting.outcome
        stamp = meeting.updated_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        event = [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{end:%Y%m%d}",
            "SUMMARY:" + ics_escape(summary),
            "DESCRIPTION:" + ics_escape(description),
            "URL:" + base_url + meeting.get_absolute_url(),
            "TRANSP:TRANSPARENT",
        ]
        if meeting.location:
            event.append("LOCATION:" + ics_escape(meeting.location))
        topics = [str(topic) for topic in meeting.topics.all()]
        if topics:
            event.append("CATEGORIES:" + ",".join(ics_escape(t) for t in topics))
        event.append("END:VEVENT")
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)


def meetings_ics(request):
    """The meetings list as a calendar, with the list's filters (newest first, capped)."""
    filterset = MeetingFilterSet(
        request.GET or None, queryset=selectors.meeting_list(user=request.user), request=request
    )
    if filterset.is_bound and not filterset.is_valid():
        meetings = []
    else:
        meetings = filterset.qs.filter(date__isnull=False)[:ICS_LIMIT]
    body = meetings_calendar(
        meetings,
        host=request.get_host().split(":")[0],
        base_url=f"{request.scheme}://{request.get_host()}",
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="concord-meetings.ics"'
    return response


class TimelineFeed(Feed):
    """The latest timeline entries as Atom, with the timeline's filters."""

    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs):
        form = TimelineFilterForm(request.GET or None, user=request.user)
        if form.is_bound and not form.is_valid():
            return {"request": request, "entries": []}
        entries = selectors.timeline_latest(
            user=request.user, limit=ATOM_LIMIT, filters=form.to_filters()
        )
        return {"request": request, "entries": entries}

    def title(self, obj):
        return _("Concord: cooperation timeline")

    def subtitle(self, obj):
        return _("Meetings, commitments, milestones and complaint figures, newest first.")

    def link(self, obj):
        from django.urls import reverse

        query = obj["request"].GET.urlencode()
        return reverse("cooperation:timeline") + (f"?{query}" if query else "")

    def items(self, obj):
        return obj["entries"]

    def item_title(self, item):
        return f"{item.kind_label}: {item.title} ({item.date_display})"

    def item_description(self, item):
        parts = [item.date_display]
        if item.detail:
            parts.append(str(item.detail))
        if item.partners:
            parts.append(", ".join(str(p) for p in item.partners))
        return " · ".join(parts)

    def item_link(self, item):
        return item.url

    def item_guid(self, item):
        return f"urn:concord:{item.kind}:{item.pk}"

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        if item.date is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(item.date, datetime.time()))

    def item_updateddate(self, item):
        record = item.record
        stamp = getattr(record, "updated_at", None) or getattr(record, "recorded_at", None)
        return stamp or self.item_pubdate(item) or timezone.now()
